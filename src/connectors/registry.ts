import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validateDefinition, type Connector } from './define-connector';

export class ConnectorLoadError extends Error {
  constructor(folder: string, reason: string, options?: { cause: unknown }) {
    super(`connector folder "${folder}" is broken: ${reason}`, options);
    this.name = 'ConnectorLoadError';
  }
}

/**
 * `connectors/` two levels up: from src/connectors/ when run from source, from dist/src/chunks/
 * when compiled (scripts/build.mjs puts every shared chunk, this module included, there).
 */
export const DEFAULT_CONNECTORS_DIR = resolve(import.meta.dirname, '../../connectors');
/** Compiled, each connector is dist/connectors/<name>/index.js; from source, index.ts. */
const INDEX_FILE = import.meta.url.endsWith('.ts') ? 'index.ts' : 'index.js';

/**
 * Discovers `connectors/<name>/index.ts`, each exporting one definition as default. A folder that
 * does not load or validate stops start-up with its name and the reason, rather than silently
 * running without it.
 */
export async function loadConnectors(dir: string = DEFAULT_CONNECTORS_DIR): Promise<Map<string, Connector>> {
  const entries = await readdir(dir, { withFileTypes: true });
  const connectors = new Map<string, Connector>();
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const indexPath = join(dir, entry.name, INDEX_FILE);
    const exists = await stat(indexPath).then(
      () => true,
      () => false,
    );
    if (!exists) throw new ConnectorLoadError(entry.name, `it has no ${INDEX_FILE}`);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(indexPath).href)) as { default?: unknown };
    } catch (err) {
      throw new ConnectorLoadError(entry.name, `${INDEX_FILE} failed to load (${(err as Error).message})`, { cause: err });
    }
    if (mod.default === undefined) throw new ConnectorLoadError(entry.name, `${INDEX_FILE} has no default export`);
    let connector: Connector;
    try {
      connector = validateDefinition(mod.default);
    } catch (err) {
      throw new ConnectorLoadError(entry.name, (err as Error).message, { cause: err });
    }
    if (connector.name !== entry.name) {
      throw new ConnectorLoadError(entry.name, `its name "${connector.name}" must equal the folder name`);
    }
    connectors.set(connector.name, connector);
  }
  return connectors;
}

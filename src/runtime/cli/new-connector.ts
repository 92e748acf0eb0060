import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandRun } from './commands';

/**
 * `service-manager new-connector <name> [--dir <folder>]`: the scaffold in scripts/new-connector.ts.
 *
 * The scaffold writes TypeScript that imports the SDK's source and is tested with the repository's
 * vitest and conformance suite, so it is useful only in a checkout. The compiled build (dist/) has
 * neither the template folder nor src/: there it says so instead of writing a folder that cannot
 * compile. The script is imported by a computed URL so esbuild leaves it out of dist/ rather than
 * bundling it without the template it reads at run time.
 */

/**
 * From source this module is src/runtime/cli/new-connector.ts, three levels below the checkout.
 * Compiled, it is a chunk somewhere under dist/ whose depth says nothing, and no checkout is
 * assumed next to it: a `.js` module means the compiled build.
 */
const ROOT = import.meta.url.endsWith('.ts') ? resolve(import.meta.dirname, '../../..') : undefined;

export const CHECKOUT_ONLY =
  'new-connector writes TypeScript sources and runs from a checkout of the repository, not from the compiled build: run `npm run new-connector -- <name>` (or `npm run cli -- new-connector <name>`) there.\n';

export function newConnectorRun(root: string | undefined = ROOT): CommandRun {
  return async (argv) => {
    const script = root === undefined ? undefined : join(root, 'scripts', 'new-connector.ts');
    if (root === undefined || script === undefined || !existsSync(script) || !existsSync(join(root, 'scripts', 'connector-template'))) {
      process.stderr.write(`service-manager: ${CHECKOUT_ONLY}`);
      return 1;
    }
    const { newConnectorCommand } = (await import(pathToFileURL(script).href)) as { newConnectorCommand: (argv: readonly string[]) => Promise<number> };
    return newConnectorCommand(argv);
  };
}

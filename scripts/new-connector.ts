/**
 * `npm run new-connector -- <name> [--dir <folder>]`: writes a complete connector folder from
 * scripts/connector-template — every standard file, a fake cloud on the fake-cloud kit, a
 * conformance test that runs green, quality.yaml with every rule `todo`, and a README with the
 * questions an author must answer. `newConnectorCommand` is what a CLI calls; it returns the exit code.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const TEMPLATE_DIR = join(import.meta.dirname, 'connector-template');
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

export interface ConnectorNames {
  name: string;
  /** PascalCase, for class names: acme-air → AcmeAir. */
  Name: string;
  camel: string;
  /** The environment prefix: ACME_AIR. */
  NAME: string;
  Title: string;
}

export function namesFor(name: string): ConnectorNames {
  const words = name.split('-').filter((w) => w !== '');
  const Name = words.map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1)).join('');
  return {
    name,
    Name,
    camel: (Name[0]?.toLowerCase() ?? '') + Name.slice(1),
    NAME: name.toUpperCase().replace(/-/g, '_'),
    Title: words.map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1)).join(' '),
  };
}

async function templateFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await templateFiles(path)));
    else if (entry.name.endsWith('.tmpl')) out.push(path);
  }
  return out;
}

/** Writes the folder; throws with a readable reason. Returns the files written, relative to it. */
export async function scaffoldConnector(name: string, parentDir: string): Promise<string[]> {
  if (!NAME.test(name)) throw new Error(`"${name}" is not a connector name: lower-case letters, digits and dashes, starting with a letter`);
  const target = resolve(parentDir, name);
  if (await stat(target).then(() => true, () => false)) throw new Error(`${relative(process.cwd(), target) || target} already exists`);
  const names = namesFor(name);
  const written: string[] = [];
  for (const file of await templateFiles(TEMPLATE_DIR)) {
    const path = relative(TEMPLATE_DIR, file).replace(/\.tmpl$/, '');
    // {{root}} is the repository root relative to the written file, wherever the folder goes.
    const root = relative(dirname(join(target, path)), REPO_ROOT).split(sep).join('/') || '.';
    const values: Record<string, string> = { ...names, root };
    const text = (await readFile(file, 'utf8')).replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
    await mkdir(dirname(join(target, path)), { recursive: true });
    await writeFile(join(target, path), text, { flag: 'wx' });
    written.push(path);
  }
  return written.sort();
}

export async function newConnectorCommand(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  const dirAt = args.indexOf('--dir');
  const dir = dirAt >= 0 ? args.splice(dirAt, 2)[1] : join(REPO_ROOT, 'connectors');
  const [name, ...rest] = args;
  if (!name || rest.length > 0 || !dir) {
    process.stderr.write('usage: new-connector <name> [--dir <folder>]   (folder default: connectors/)\n');
    return 2;
  }
  try {
    const files = await scaffoldConnector(name, dir);
    const folder = relative(process.cwd(), resolve(dir, name)) || '.';
    process.stdout.write(
      [
        `Wrote ${folder}/ (${files.length} files):`,
        ...files.map((f) => `  ${f}`),
        '',
        'Next:',
        `  npm test -- ${folder}          its suite runs green (every rule todo)`,
        `  answer the questions in ${folder}/README.md, make the fake behave like the cloud,`,
        `  then turn each rule in quality.yaml to done — connectors/README.md walks through it.`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`new-connector: ${(err as Error).message}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await newConnectorCommand(process.argv.slice(2));
}

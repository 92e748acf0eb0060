// `npm run build`: src/ and every connector folder → dist/, plain ESM JavaScript for Node.
//
// Why esbuild rather than tsc's emit: the sources import each other without extensions
// (`moduleResolution: bundler`), which Node's ESM loader cannot resolve, and tsc does not rewrite
// such specifiers; esbuild is what tsx already runs on, so development and production compile alike.
// Type checking stays with `tsc --noEmit` (`npm run typecheck`, and `npm test`).
//
// Layout (src/connectors/registry.ts relies on it):
//   dist/src/runtime/cli/main.js      the `service-manager` entry point
//   dist/connectors/<name>/index.js   one entry per connector folder, loaded by the registry at start
//   dist/src/chunks/*.js              modules shared between entries, one copy each (so the SDK's
//                                     classes are the same objects in the host and in a connector)
// Packages stay external: node_modules is installed next to dist/ (native modules included).
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outdir = join(root, 'dist');

// The registry's rule: every folder not starting with `.` or `_` is a connector.
const connectors = readdirSync(join(root, 'connectors'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_'))
  .map((e) => `connectors/${e.name}/index.ts`);
for (const entry of connectors) {
  if (!existsSync(join(root, entry))) throw new Error(`${entry} is missing: every connector folder needs an index.ts`);
}

rmSync(outdir, { recursive: true, force: true });
const started = performance.now();
await build({
  absWorkingDir: root,
  entryPoints: ['src/runtime/cli/main.ts', ...connectors],
  outdir,
  outbase: '.',
  entryNames: '[dir]/[name]',
  chunkNames: 'src/chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
process.stdout.write(`built dist/ (${connectors.length} connectors) in ${Math.round(performance.now() - started)} ms\n`);

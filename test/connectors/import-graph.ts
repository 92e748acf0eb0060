import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One static import (or export-from) that is kept at run time, as written and as resolved. */
export interface RuntimeImport {
  specifier: string;
  /** Repository-relative path of the file, for relative specifiers; undefined for packages. */
  file: string | undefined;
}

export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Static imports a module keeps at run time (all of them, type-only ones too, with `withTypes`). With verbatimModuleSyntax only `import type` and
 * `export type` are erased; `import { type X }` still loads its module, so it counts. Dynamic
 * `import()` counts too: it can open a connection as well as a static one.
 *
 * A regexp, not the compiler API: the installed `typescript` is the native (Go) compiler, which
 * has no JavaScript API. Comments are dropped first so an import in a doc example does not count.
 */
export function runtimeImports(file: string, options: { withTypes?: boolean } = {}): RuntimeImport[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
    .replace(/^\s*\/\*[\s\S]*?\*\//gm, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  // import x from '…' / import { a, type b } from '…' / export { a } from '…' / export * from '…'
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm)) {
    if (!m[2] || options.withTypes) specifiers.push(m[3] ?? '');
  }
  // import '…' (side effects only)
  for (const m of text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) specifiers.push(m[1] ?? '');
  for (const m of text.matchAll(/\bimport\s*\(\s*([^)]*?)\s*\)/g)) {
    const literal = /^['"]([^'"]+)['"]$/.exec(m[1] ?? '');
    specifiers.push(literal?.[1] ?? '<dynamic>');
  }
  const fromDir = dirname(join(ROOT, file));
  return specifiers.map((specifier) => ({ specifier, file: specifier.startsWith('.') ? resolveTs(fromDir, specifier) : undefined }));
}

function resolveTs(fromDir: string, specifier: string): string {
  const base = resolve(fromDir, specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(ROOT, candidate);
  }
  throw new Error(`cannot resolve ${specifier} from ${relative(ROOT, fromDir)}`);
}

/** Every module reached from `entry` through run-time imports, with the imports of each. */
export function reachable(entry: string): Map<string, RuntimeImport[]> {
  const seen = new Map<string, RuntimeImport[]>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    const imports = runtimeImports(file);
    seen.set(file, imports);
    for (const i of imports) if (i.file && !seen.has(i.file)) queue.push(i.file);
  }
  return seen;
}

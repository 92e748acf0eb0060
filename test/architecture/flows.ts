import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, normalize, relative, resolve } from 'node:path';

// Follows one flow through src/ the way docs/architecture.md counts it: value imports only (type
// imports are erased), and an import through an index.ts counts the file that exports the name.
// `npx tsx test/architecture/flows.ts` prints the numbers the page quotes.

export const SRC = resolve(import.meta.dirname, '../../src');

export const FLOWS: Record<string, readonly string[]> = {
  webhook: ['ingest/routes.ts', 'ingest/webhook-worker.ts'],
  poll: ['sync/poll-queue.ts', 'sync/poll-worker.ts'],
  linking: ['linking/routes.ts'],
};

interface Statement {
  kind: 'import' | 'export';
  target: string;
  /** Value names imported or re-exported; '*' for a namespace or side-effect import. */
  names: string[];
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = normalize(join(dirname(from), spec));
  return [base, `${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
}

const STATEMENT = /^(import|export)\s+(type\s+)?([^;'"]*?)\s+from\s+['"]([^'"]+)['"]/gm;
const SIDE_EFFECT = /^import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
const parsed = new Map<string, Statement[]>();

function statements(file: string): Statement[] {
  const cached = parsed.get(file);
  if (cached) return cached;
  const text = readFileSync(file, 'utf8');
  const out: Statement[] = [];
  for (const [, kind, typeOnly, clause = '', spec = ''] of text.matchAll(STATEMENT)) {
    if (typeOnly || !spec.startsWith('.')) continue;
    const target = resolveSpecifier(file, spec);
    if (!target) continue;
    const braces = /\{([^}]*)\}/.exec(clause);
    let names: string[];
    if (braces) {
      names = (braces[1] ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part && !part.startsWith('type '))
        .map((part) => part.split(' as ')[0]?.trim() ?? '');
      if (clause.slice(0, clause.indexOf('{')).trim().replace(/,$/, '')) names.push('default');
    } else {
      names = clause.trim().startsWith('*') ? ['*'] : ['default'];
    }
    out.push({ kind: kind as 'import' | 'export', target, names });
  }
  for (const [, spec = ''] of text.matchAll(SIDE_EFFECT)) {
    const target = resolveSpecifier(file, spec);
    if (target) out.push({ kind: 'import', target, names: ['*'] });
  }
  parsed.set(file, out);
  return out;
}

/** The files that define `name` as exported by an index.ts, following its re-exports. */
function exporters(index: string, name: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(`${index}#${name}`)) return found;
  seen.add(`${index}#${name}`);
  for (const s of statements(index)) {
    if (s.kind !== 'export' || !(s.names.includes('*') || s.names.includes(name))) continue;
    if (basename(s.target) === 'index.ts') for (const f of exporters(s.target, name, seen)) found.add(f);
    else found.add(s.target);
  }
  if (found.size === 0) found.add(index); // defined in the index itself
  return found;
}

function dependencies(file: string): Set<string> {
  const out = new Set<string>();
  for (const s of statements(file)) {
    if (s.kind === 'export' || s.names.length === 0) continue;
    if (basename(s.target) === 'index.ts' && !s.names.includes('*')) {
      for (const name of s.names) for (const f of exporters(s.target, name)) out.add(f);
    } else {
      out.add(s.target);
    }
  }
  return out;
}

/** Files (relative to src/) and folders one flow touches. */
export function followFlow(entries: readonly string[]): { files: string[]; folders: string[] } {
  const seen = new Set<string>();
  const todo = entries.map((entry) => join(SRC, entry));
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...dependencies(file));
  }
  const files = [...seen].map((file) => relative(SRC, file)).sort();
  return { files, folders: [...new Set(files.map((file) => dirname(file)))].sort() };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  for (const [name, entries] of Object.entries(FLOWS)) {
    const { files, folders } = followFlow(entries);
    console.log(`${name}: ${files.length} files in ${folders.length} folders (${folders.join(', ')})`);
    if (process.argv.includes('-v')) console.log(`  ${files.join('\n  ')}`);
  }
}

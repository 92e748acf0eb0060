import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The slice rules of docs/architecture.md, checked on every import statement under src/: a slice
// reaches another only through its index.ts, along the one-way graph below; runtime's base modules
// import no slice (only its composition does). A new arrow must be added here, on purpose.

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** Which slices each slice may import (besides runtime, which every slice may use). */
const ALLOWED: Record<string, readonly string[]> = {
  connectors: [],
  platform: ['connectors'],
  cloud: ['connectors'],
  sync: ['platform', 'cloud', 'connectors'],
  ingest: ['sync', 'platform', 'cloud', 'connectors'],
  linking: ['ingest', 'sync', 'platform', 'cloud', 'connectors'],
  webservices: ['sync', 'platform', 'cloud', 'connectors'],
  operator: ['webservices', 'linking', 'ingest', 'sync', 'platform', 'cloud', 'connectors'],
};

/** runtime's composition: the only runtime modules that may import slices (nothing imports them but entry points). */
const COMPOSITION = new Set([
  'runtime/main.ts',
  'runtime/build-services.ts',
  'runtime/workers.ts',
  'runtime/demo.ts',
  'runtime/http/app.ts',
  'runtime/http/openapi-routes.ts',
  'runtime/api-key-command.ts',
  'runtime/api-key-main.ts',
  // The rekey command builds the stores of every family holding a sealed secret.
  'runtime/rekey-command.ts',
  // The command table: each command lives with its slice (rekey, api-key, …) and is loaded on use.
  'runtime/cli/commands.ts',
  // Types only (the Services bag each slice is handed); type imports are erased at run time.
  'runtime/services.ts',
]);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = normalize(join(dirname(from), spec));
  return [base, `${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
}

interface Edge {
  file: string;
  target: string;
  from: string;
  to: string;
  line: string;
}

/**
 * runtime modules a slice may import directly rather than through runtime/index.ts: pure ones that
 * the SDK needs without loading the rest of the base (which brings ioredis and Koa with it).
 */
const DIRECT = new Set(['runtime/secrets/hmac.ts']);

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of walk(SRC)) {
    const rel = relative(SRC, file);
    const from = rel.split('/')[0] ?? '';
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const target = resolveSpecifier(file, match[1] ?? '');
      if (!target || !target.startsWith(SRC)) continue;
      const to = relative(SRC, target).split('/')[0] ?? '';
      if (to !== from) out.push({ file: rel, target: relative(SRC, target), from, to, line: match[0] });
    }
  }
  return out;
}

const slices = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());

describe('src/ slices', () => {
  it('src/ holds the slices and nothing else', () => {
    expect(slices.sort()).toEqual([...Object.keys(ALLOWED), 'runtime'].sort());
    expect(readdirSync(SRC).filter((name) => name.endsWith('.ts'))).toEqual([]);
    for (const slice of Object.keys(ALLOWED)) expect(existsSync(join(SRC, slice, 'index.ts')), `${slice}/index.ts`).toBe(true);
  });

  it('a slice imports another slice only through its index.ts', () => {
    const inside = edges().filter((e) => !COMPOSITION.has(e.file) && e.target !== `${e.to}/index.ts` && !DIRECT.has(e.target));
    expect(inside.map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  });

  it('slices import along the one-way graph; runtime imports a slice only in its composition', () => {
    const forbidden = edges().filter((e) =>
      e.from === 'runtime' ? !COMPOSITION.has(e.file) : e.to !== 'runtime' && !(ALLOWED[e.from] ?? []).includes(e.to),
    );
    expect(forbidden.map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  });

  it('the allowed graph has no circle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (slice: string, path: string[]): void => {
      if (done.has(slice)) return;
      if (visiting.has(slice)) {
        cycles.push([...path, slice].join(' -> '));
        return;
      }
      visiting.add(slice);
      for (const next of ALLOWED[slice] ?? []) visit(next, [...path, slice]);
      visiting.delete(slice);
      done.add(slice);
    };
    for (const slice of Object.keys(ALLOWED)) visit(slice, []);
    expect(cycles).toEqual([]);
  });

  it('the checker sees real imports (it is not vacuous)', () => {
    const all = edges();
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((e) => e.from === 'operator' && e.to === 'platform')).toBe(true);
  });
});

describe('routes and workers reach Redis only through repositories', () => {
  /** Route and worker modules: what answers a request or runs a job. */
  const isRouteOrWorker = (rel: string): boolean =>
    /(^|\/)(routes|[\w-]+-routes|[\w-]+-worker)\.ts$/.test(rel) || /\/(routes|api)\//.test(rel);
  /** `/readyz` asks the connection itself whether it is up; it reads no record. */
  const EXEMPT = new Set(['runtime/http/health-routes.ts']);

  it('no route or worker imports ioredis or uses the client', () => {
    const offenders = walk(SRC)
      .map((file) => relative(SRC, file))
      .filter((rel) => isRouteOrWorker(rel) && !EXEMPT.has(rel))
      .filter((rel) => {
        const text = readFileSync(join(SRC, rel), 'utf8');
        return /from 'ioredis'/.test(text) || /\bservices\.redis\b|\bredis\.\w+\(/.test(text);
      });
    expect(offenders).toEqual([]);
  });

  it('the check covers the routes and workers it should', () => {
    const covered = walk(SRC).map((file) => relative(SRC, file)).filter(isRouteOrWorker);
    for (const rel of ['ingest/routes.ts', 'ingest/webhook-worker.ts', 'sync/poll-worker.ts', 'operator/api/webhooks.ts', 'webservices/routes/token.ts']) {
      expect(covered).toContain(rel);
    }
  });
});

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
  // Types only (Base, and the composed Services that only composition holds); erased at run time.
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

describe('each Redis record family has one key builder, used by its repository', () => {
  /**
   * Builder module (src/<slice>/<family>-keys.ts) => the repositories that may use it. Runtime
   * keeps only the namespace (runtime/redis/keys.ts: prefix and BullMQ prefix).
   */
  const REPOSITORIES: Record<string, readonly string[]> = {
    'platform/installation-keys.ts': ['platform/installation-store.ts'],
    'platform/device-keys.ts': ['platform/device-store.ts'],
    'platform/event-keys.ts': ['platform/event-log.ts'],
    'cloud/token-keys.ts': ['cloud/provider-token-store.ts'],
    'cloud/refresh-keys.ts': ['cloud/refresh.ts'],
    'cloud/rate-keys.ts': ['cloud/rate-gate.ts'],
    'linking/state-keys.ts': ['linking/state-store.ts'],
    'sync/sync-lock-keys.ts': ['sync/with-sync-lock.ts'],
    'sync/poll-schedule-keys.ts': ['sync/poll-schedule-store.ts'],
    'ingest/failed-keys.ts': ['ingest/failed-store.ts'],
    'ingest/batch-keys.ts': ['ingest/batch-ledger.ts'],
    'ingest/webhook-record-keys.ts': ['ingest/webhook-records.ts'],
    'ingest/callback-token-keys.ts': ['ingest/callback-token-cache.ts'],
    'webservices/user-keys.ts': ['webservices/users.ts'],
    'webservices/client-keys.ts': ['webservices/clients.ts'],
    'webservices/app-installation-keys.ts': ['webservices/app-installations.ts'],
    'webservices/grant-keys.ts': ['webservices/grant-store.ts'],
    'webservices/authorize-session-keys.ts': ['webservices/authorize-session.ts'],
    'webservices/login-failure-keys.ts': ['webservices/login-limiter.ts'],
    // Removing a subscription clears its delivery state; composition hands the chain keys to their DrainState.
    'webservices/subscription-keys.ts': ['webservices/event-subscriptions.ts', 'webservices/web-services.ts'],
    // The sink store owns the names; its DrainState gets them from the store.
    'webservices/sink-keys.ts': ['webservices/event-sinks.ts'],
    'operator/api-key-keys.ts': ['operator/api-key-store.ts'],
  };
  /**
   * Documented exceptions: ingest keeps its webhook fields in platform's installation hash; health
   * keeps its fields in the sync-state hash and checks the record exists before writing.
   */
  const EXCEPTIONS: Record<string, readonly string[]> = {
    'platform/installation-keys.ts': ['platform/index.ts', 'ingest/webhook-records.ts', 'platform/health-store.ts'],
    // Health fields live beside the cursor in the sync-state hash, read in the poll's one pipeline.
    'platform/device-keys.ts': ['platform/health-store.ts'],
  };

  const files = walk(SRC).map((file) => relative(SRC, file));
  const builders = files.filter((rel) => /-keys\.ts$/.test(rel));

  it('every builder is listed with its repository', () => {
    expect(builders.sort()).toEqual(Object.keys(REPOSITORIES).sort());
  });

  it('a builder is used only by its repository (and the documented exceptions)', () => {
    const offenders: string[] = [];
    for (const builder of builders) {
      const names = [...readFileSync(join(SRC, builder), 'utf8').matchAll(/export function (\w+)/g)].map((m) => m[1] ?? '');
      expect(names.length, builder).toBeGreaterThan(0);
      const allowed = new Set([builder, ...(REPOSITORIES[builder] ?? []), ...(EXCEPTIONS[builder] ?? [])]);
      for (const rel of files) {
        if (allowed.has(rel)) continue;
        const text = readFileSync(join(SRC, rel), 'utf8');
        for (const name of names) if (new RegExp(`\\b${name}\\b`).test(text)) offenders.push(`${rel} uses ${name}`);
      }
      for (const repo of REPOSITORIES[builder] ?? []) {
        const text = readFileSync(join(SRC, repo), 'utf8');
        expect(names.some((name) => text.includes(name)), `${repo} builds its keys with ${builder}`).toBe(true);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('modules take the parts they use, not the whole process', () => {
  it('only composition names the composed Services type; slices and the base use Base and slice parts', () => {
    const offenders = walk(SRC)
      .map((file) => relative(SRC, file))
      .filter((rel) => !COMPOSITION.has(rel))
      .filter((rel) => /import type \{[^}]*\bServices\b[^}]*\}/.test(readFileSync(join(SRC, rel), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

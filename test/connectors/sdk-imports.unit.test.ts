import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reachable, ROOT, runtimeImports } from './import-graph';

/**
 * A connector imports the framework only through the SDK, and importing the SDK opens nothing:
 * no Redis, no queue, no HTTP server. Before, the SDK re-exported hmacSha256Hex from
 * ingest/ingest.ts, which pulled in ioredis (and the services bag with BullMQ) for every
 * connector, its fake cloud and its unit tests.
 */

const SDK = 'src/connectors/sdk.ts';

/** What the SDK may load at run time: pure modules, none of which does I/O when imported. */
const PURE_SRC = new Set([
  'src/connectors/sdk.ts',
  'src/connectors/context.ts',
  'src/connectors/connector-errors.ts',
  'src/connectors/define-connector.ts',
  'src/connectors/provider.ts',
  'src/connectors/response-match.ts',
  'src/connectors/cloud-types.ts',
  'src/runtime/secrets/hmac.ts',
]);

/** Packages (and Node modules) that open connections or servers, or start a framework with them. */
const CONNECTING = /^(ioredis|bullmq|koa|koa-.+|@koa\/.+|@bull-board\/.+|undici|(node:)?(net|tls|http|https|http2|dgram|child_process|worker_threads|cluster))$/;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : tsFiles(path);
    return path.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

describe('src/connectors/sdk.ts', () => {
  const graph = reachable(SDK);

  it('reaches only the allow-listed pure modules of src/', () => {
    expect([...graph.keys()].filter((f) => !PURE_SRC.has(f)).sort()).toEqual([]);
  });

  it('no module it reaches imports a package that opens a connection or a server, or imports dynamically', () => {
    const offending = [...graph].flatMap(([file, imports]) =>
      imports.filter((i) => !i.file && (CONNECTING.test(i.specifier) || i.specifier === '<dynamic>')).map((i) => `${file} -> ${i.specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('the walker sees through re-exports: from ingest/ingest.ts (what the SDK used to import) it reaches a connecting package through runtime/index.ts', () => {
    // It reached ioredis until the Redis client factory left runtime/redis/redis.ts (issue 16);
    // through the index's re-exports it still reaches Koa (@koa/router, koa-bodyparser).
    const all = [...reachable('src/ingest/ingest.ts').values()].flat();
    expect(all.filter((i) => CONNECTING.test(i.specifier)).map((i) => i.specifier).length).toBeGreaterThan(0);
  });
});

describe('connectors/', () => {
  it('import from src/ only through the SDK (fakes and connector tests: also the fake-cloud kit), type imports included', () => {
    const offending: string[] = [];
    // The neutral test connector (written by the scaffold) keeps the same rule as the real ones.
    for (const file of [...tsFiles(join(ROOT, 'connectors')), ...tsFiles(join(ROOT, 'test/fixtures/connectors'))]) {
      const isFakeOrTest = /^(test\/fixtures\/)?connectors\/[^/]+\/(fake|test)\//.test(file);
      for (const { file: target } of runtimeImports(file, { withTypes: true })) {
        if (!target?.startsWith('src/')) continue;
        const allowed = target === SDK || (isFakeOrTest && target.startsWith('src/connectors/fake-cloud/'));
        if (!allowed) offending.push(`${file} -> ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('connectors/ (a connector is a folder of its own)', () => {
  it("imports nothing from another connector's folder, and from test/ only the conformance suite and test helpers", () => {
    const offending: string[] = [];
    for (const file of tsFiles(join(ROOT, 'connectors'))) {
      const own = file.split('/').slice(0, 2).join('/');
      for (const { file: target } of runtimeImports(file, { withTypes: true })) {
        if (!target) continue;
        const ok =
          target.startsWith(`${own}/`) ||
          target.startsWith('src/') ||
          (/^connectors\/[^/]+\/test\//.test(file) && /^test\/(conformance|helpers)\//.test(target));
        if (!ok) offending.push(`${file} -> ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('the fakes and tests use the fake-cloud kit through its index only', () => {
    const offending = tsFiles(join(ROOT, 'connectors')).flatMap((file) =>
      runtimeImports(file, { withTypes: true })
        .filter((i) => i.file?.startsWith('src/connectors/fake-cloud/') && i.file !== 'src/connectors/fake-cloud/index.ts')
        .map((i) => `${file} -> ${i.file}`),
    );
    expect(offending).toEqual([]);
  });
});

import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freePort } from '../../src/runtime/redis-bootstrap';
import { toolClient } from '../helpers/redis-client';

/**
 * `npm run build` then the compiled `service-manager start`, run by plain node: no TypeScript
 * loader anywhere in the process, connectors loaded from dist/connectors, a host that answers.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/runtime/cli/main.js');
const run = promisify(execFile);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  await run(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
}, 60_000);

const prefix = `test-${randomUUID()}`;
afterAll(async () => {
  const redis = toolClient(inject('redisUrl'));
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

it('npm run build => JavaScript only, one entry per connector, and npm start runs it without tsx', () => {
  const files = filesUnder(join(ROOT, 'dist'));
  expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
  expect(existsSync(CLI)).toBe(true);
  for (const name of ['ecobee', 'netatmo']) expect(existsSync(join(ROOT, 'dist/connectors', name, 'index.js'))).toBe(true);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
    bin: Record<string, string>;
    dependencies: Record<string, string>;
  };
  expect(pkg.scripts['start']).toMatch(/^node .*dist\/src\/runtime\/cli\/main\.js start$/);
  expect(pkg.bin['service-manager']).toBe('dist/src/runtime/cli/main.js');
  // Production installs (npm ci --omit=dev) get no TypeScript runner.
  expect(pkg.dependencies['tsx']).toBeUndefined();
});

it('compiled new-connector => exit 1 and "run from a checkout", nothing written (dist/ has no template or sources)', async () => {
  const result = await run(process.execPath, [CLI, 'new-connector', 'zeta'], { cwd: ROOT }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr ?? '' }),
  );
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('runs from a checkout');
  expect(result.stderr).toContain('npm run new-connector -- <name>');
  expect(existsSync(join(ROOT, 'connectors', 'zeta'))).toBe(false);
  expect(filesUnder(join(ROOT, 'dist')).some((f) => f.includes('connector-template'))).toBe(false);
});

it('dist/ imports only node: built-ins and production dependencies (npm ci --omit=dev is enough to run it)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*)["']([^"'.][^"']*)["']/g;
  const packages = new Set<string>();
  for (const file of filesUnder(join(ROOT, 'dist')).filter((f) => f.endsWith('.js'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(specifier)) {
      const name = match[1] ?? '';
      if (!name.startsWith('node:')) packages.add(name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : (name.split('/')[0] ?? name));
    }
  }
  // Comment text can look like an import ("from 'self'" in a CSP note); real packages resolve.
  const missing = [...packages].filter((name) => pkg.dependencies[name] === undefined && existsSync(join(ROOT, 'node_modules', name)));
  expect(missing).toEqual([]);
  expect(packages.has('koa')).toBe(true);
});

it('compiled start (demo, REDIS_URL) => /readyz 200, both connectors loaded from dist/, SIGTERM exits 0', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: String(port), HOST: '127.0.0.1', REDIS_URL: inject('redisUrl'), KEY_PREFIX: prefix, ADMIN_TOKEN: 'compiled-admin-token-0123456789', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    const banner: string[] = [];
    await new Promise<void>((ready, fail) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        banner.push(line);
        if (line.includes('Stop with Ctrl-C')) ready();
      });
      void exited.then((code) => fail(new Error(`exited (${code}) before it was ready: ${stderr}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const res = await fetch(`${base}/api/installations`, { headers: { authorization: 'Bearer compiled-admin-token-0123456789' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as unknown;
    const connectors = JSON.stringify(body);
    expect(connectors).toContain('"ecobee"');
    expect(connectors).toContain('"netatmo"');
    // The process itself: plain node, no loader flags.
    expect(child.spawnargs).toEqual([process.execPath, CLI, 'start']);
    // The image's HEALTHCHECK against it: healthy while it runs.
    const check = await run(process.execPath, [join(ROOT, 'scripts/healthcheck.mjs')], { env: { PORT: String(port), METRICS_PORT: String(await freePort()) } });
    expect(check.stderr).toBe('');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(stderr).not.toMatch(/tsx|\.ts:\d+/);
});

it('HEALTHCHECK with nothing listening on PORT or METRICS_PORT => exit 1', async () => {
  const env = { PORT: String(await freePort()), METRICS_PORT: String(await freePort()) };
  const failed = await run(process.execPath, [join(ROOT, 'scripts/healthcheck.mjs')], { env }).then(() => 0, (err: { code: number }) => err.code);
  expect(failed).toBe(1);
});

it('compiled CLI: an argument a command does not take => exit 2, naming it', async () => {
  for (const args of [['start', 'serve', 'extra'], ['worker', 'serve']]) {
    const failed = await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '' } }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain(`unexpected argument "${args.at(-1)}"`);
  }
});

it('compiled CLI: no command or an unknown one => usage on stderr, exit 2', async () => {
  for (const args of [[], ['frobnicate']]) {
    const failed = await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '' } }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('usage: service-manager <command>');
    expect(failed?.stderr).toContain('doctor');
  }
});

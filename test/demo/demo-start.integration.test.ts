import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, expect, inject, it } from 'vitest';
import { freePort } from '../../src/runtime/redis-bootstrap';
import { toolClient } from '../helpers/redis-client';

/**
 * `service-manager demo` / `worker` as a user starts them: a port in use is one line and exit 1
 * with nothing left running or on disk; with REDIS_URL the banner names that Redis and the key
 * prefix, and a restart replaces the earlier run's demo installations without orphaning a key.
 */

const CLI = resolve(import.meta.dirname, '../../src/runtime/cli/main.ts');
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its exit (or until `until` sees its line, then SIGTERM). */
function runCli(args: string[], env: Record<string, string>, until?: (line: string) => boolean): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    if (until?.(line)) child.kill('SIGTERM');
  });
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(port, '127.0.0.1', ready));
  cleanups.push(() => new Promise<void>((closed) => server.close(() => closed())));
  return server;
}

/** redis-server processes whose arguments mention `dir` (a private Redis keeps its folder there). */
function redisServersUnder(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes('redis-server') && line.includes(dir));
}

it('demo with PORT in use => one line naming the port and PORT, exit 1, no redis-server or temp dir left', async () => {
  const port = await freePort();
  await occupy(port);
  // The child's temporary files land here (TMPDIR), so "nothing left" is checkable.
  const tmp = mkdtempSync(join(tmpdir(), 'sm-demo-port-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const run = await runCli(['demo'], { PORT: String(port), TMPDIR: tmp, LOG_LEVEL: 'info' });
  expect(run.code).toBe(1);
  expect(run.stderr).toBe(`Port ${port} on 127.0.0.1 is already in use: stop whatever listens there, or set PORT to a free port.\n`);
  expect(run.stdout).toBe('');
  // (tsx keeps its compile cache there too; that is the development runner's, not ours.)
  expect(readdirSync(tmp).filter((name) => name.startsWith('sm-'))).toEqual([]);
  expect(redisServersUnder(tmp)).toEqual([]);
});

it('worker with METRICS_PORT in use => one line naming METRICS_PORT, exit 1', async () => {
  const port = await freePort();
  await occupy(port);
  const run = await runCli(['worker'], {
    METRICS_PORT: String(port),
    HOST: '127.0.0.1',
    REDIS_URL: inject('redisUrl'),
    KEY_PREFIX: `test-${randomUUID()}`,
    DEMO: 'false',
    ADMIN_TOKEN: 'worker-admin-token-0123456789',
    SECRET_KEY: 'a'.repeat(64),
    ECOBEE_CLIENT_ID: 'x',
  });
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`Port ${port} on 127.0.0.1 is already in use: stop whatever listens there, or set METRICS_PORT to a free port.`]);
});

const prefix = `test-${randomUUID()}`;
afterAll(async () => {
  const redis = toolClient(inject('redisUrl'));
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

it('demo with REDIS_URL, started twice => the banner names that Redis and prefix; the first run leaves no key behind', async () => {
  const redisUrl = inject('redisUrl');
  const env = { REDIS_URL: redisUrl, KEY_PREFIX: prefix, SECRET_KEY: 'b'.repeat(64) };
  const start = async () => {
    const run = await runCli(['demo'], { ...env, PORT: String(await freePort()) }, (line) => line.includes('Stop with Ctrl-C'));
    expect(run.code, run.stderr).toBe(0);
    return run;
  };
  const ids = (run: Run) => [...run.stdout.matchAll(/setup\?appId=([0-9a-f-]{36})/g)].map((m) => m[1] ?? '');

  const first = await start();
  const where = new URL(redisUrl);
  expect(first.stdout).toContain(`Redis:   single redis://${where.host}, key prefix "${prefix}"`);
  expect(ids(first)).toHaveLength(3);
  // Info lines are off at LOG_LEVEL=warn: the banner is all there is.
  expect(first.stdout.trim().split('\n')[0]).toMatch(/^Service Manager demo on http:\/\/localhost:\d+/);

  const second = await start();
  expect(ids(second)).toHaveLength(3);
  const redis = toolClient(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    const values = await Promise.all(keys.map(async (k) => `${k} ${(await redis.type(k)) === 'string' ? await redis.get(k) : ''}`));
    for (const old of ids(first)) expect(values.filter((v) => v.includes(old))).toEqual([]);
    for (const current of ids(second)) expect(keys.some((k) => k.includes(current))).toBe(true);
  } finally {
    redis.disconnect();
  }
});

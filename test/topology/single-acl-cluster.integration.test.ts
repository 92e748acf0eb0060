import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeEcobee } from '../../connectors/ecobee/fake/server';
import { freePort } from '../../src/runtime/redis-bootstrap';
import { startHostCore, type HostCore } from '../helpers/host';
import { createInstallation } from '../helpers/link';
import { toolClient } from '../helpers/redis-client';

/**
 * REDIS_URL with an ACL user (a private redis-server whose default user is off), and
 * REDIS_CLUSTER_NODES with no node reachable: the host starts and answers 503 until it is.
 */

const MAIN = fileURLToPath(new URL('../../src/runtime/main.ts', import.meta.url));
let server: ChildProcess;
let dir: string;
let port: number;
let ecobee: FakeEcobee;
const hosts: HostCore[] = [];

beforeAll(async () => {
  port = await freePort();
  dir = await mkdtemp(join(tmpdir(), 'sm-redis-acl-'));
  server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--user', 'default', 'off', '--user', 'sm-app', 'on', '>acl-pass-123', '~*', '&*', '+@all'],
    { stdio: 'ignore' },
  );
  const probe = toolClient(`redis://sm-app:acl-pass-123@127.0.0.1:${port}`);
  for (let i = 0; (await probe.ping().catch(() => '')) !== 'PONG'; i++) {
    if (i > 100) throw new Error('ACL redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  probe.disconnect();
  ecobee = await FakeEcobee.start();
});
afterAll(async () => {
  for (const h of hosts) await h.close().catch(() => undefined);
  await ecobee?.stop();
  server?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

it('REDIS_URL=redis://user:password@… with an ACL user => the host works (an installation is created and stored)', async () => {
  const host = await startHostCore({ fakes: { ecobee }, env: { REDIS_URL: `redis://sm-app:acl-pass-123@127.0.0.1:${port}` } });
  hosts.push(host);
  expect((await fetch(`${host.url}/readyz`)).status).toBe(200);
  await createInstallation(host);
  expect((await host.inspect.keys(`${host.config.keyPrefix}:*`)).length).toBeGreaterThan(0);
  expect(await host.services.redis.call('ACL', 'WHOAMI')).toBe('sm-app');
});

it('REDIS_URL with a wrong password => not ready (503), never a crash', async () => {
  const host = await startHostCore({ fakes: { ecobee }, env: { REDIS_URL: `redis://sm-app:wrong@127.0.0.1:${port}` } });
  hosts.push(host);
  expect((await fetch(`${host.url}/readyz`)).status).toBe(503);
  const res = await host.admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector: 'ecobee', locationId: 'x' }) });
  expect(res.status).toBe(503);
});

it('REDIS_CLUSTER_NODES with no node reachable => the host starts and answers 503 (readyz too), never a crash', async () => {
  const dead = await freePort();
  const listen = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      REDIS_CLUSTER_NODES: `127.0.0.1:${dead}`,
      PORT: String(listen),
      METRICS_PORT: '0',
      ADMIN_TOKEN: 'test-admin-token-0123456789',
      SECRET_KEY: '00'.repeat(32),
      DEMO: 'false',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  try {
    let live: Response | undefined;
    for (let i = 0; i < 200 && live?.status !== 200; i++) {
      if (child.exitCode !== null) throw new Error(`host exited ${child.exitCode}: ${stderr}`);
      live = await fetch(`http://127.0.0.1:${listen}/healthz`).catch(() => undefined);
      if (live?.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(live?.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${listen}/readyz`)).status).toBe(503);
    const res = await fetch(`http://127.0.0.1:${listen}/api/installations`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
  } finally {
    child.kill('SIGKILL');
  }
}, 40_000);

it('REDIS_URL and REDIS_SENTINELS together => exit code 2, both named', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', REDIS_URL: 'redis://127.0.0.1:1', REDIS_SENTINELS: '127.0.0.1:2', REDIS_SENTINEL_NAME: 'm' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  expect(code).toBe(2);
  expect(stderr).toContain('set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES');
});

import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { freePort, startPrivateRedis } from '../../src/runtime/redis-bootstrap';
import { eventually } from '../helpers/link';
import { spawnTsx, type TsxChild } from '../helpers/spawn-tsx';

/**
 * The real entry point (src/runtime/main.ts, demo mode: fakes, host and workers in one process) under
 * SIGTERM: readiness off at once, new work refused, a bounded drain, an exit even when Redis
 * hangs, a second signal that exits at once, and no redis-server left behind.
 */

const MAIN = fileURLToPath(new URL('../../src/runtime/main.ts', import.meta.url));
const PARENT = fileURLToPath(new URL('./private-redis-parent.ts', import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 1_500;
/** Hang guard only: how long past its deadline a process may take to be gone before the test fails. */
const EXIT_GRACE_MS = 8_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Running {
  main: TsxChild;
  url: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function startMain(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const main = spawnTsx(MAIN, {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      KEY_PREFIX: `test-${randomUUID()}`,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      REDIS_COMMAND_TIMEOUT_MS: '300',
      WEBHOOK_ENQUEUE_TIMEOUT_MS: '300',
      ...env,
    },
    // The demo banner comes after the host listens and the demo installations are written.
    isReady: (line) => line.includes('Stop with Ctrl-C'),
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    main.child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  cleanups.push(() => main.kill());
  await main.ready;
  return { main, url: `http://127.0.0.1:${port}`, exit };
}

/** Reads the child's stdout until the shutdown handler's log line: the gate is on from then. */
async function draining(main: TsxChild): Promise<void> {
  for (;;) if ((await main.nextLine()).includes('"msg":"shutting down"')) return;
}

/** Direct children of `pid` whose command is redis-server (Linux /proc). */
function redisChildren(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && comm.startsWith('redis-server')) found.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

async function withinGrace<T>(exit: Promise<T>, graceMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the process did not exit within ${graceMs} ms`)), graceMs);
  });
  try {
    return await Promise.race([exit, guard]);
  } finally {
    clearTimeout(timer);
  }
}

async function ownRedis(): Promise<Awaited<ReturnType<typeof startPrivateRedis>>> {
  const redis = await startPrivateRedis();
  cleanups.push(async () => {
    redis.process.kill('SIGCONT');
    await redis.stop();
  });
  return redis;
}

it('Redis SIGSTOPped, SIGTERM => /readyz 503 at once, new requests 503 + Retry-After, exit (code 1) by SHUTDOWN_TIMEOUT_MS', async () => {
  const redis = await ownRedis();
  const { main, url, exit } = await startMain({ REDIS_URL: redis.url });
  expect((await fetch(`${url}/readyz`)).status).toBe(200);

  redis.process.kill('SIGSTOP');
  const signalled = performance.now();
  main.child.kill('SIGTERM');
  await draining(main);
  // The first probe after the signal was handled, while the drain is still going on.
  const readyz = await fetch(`${url}/readyz`);
  expect(readyz.status).toBe(503);
  expect(await readyz.json()).toEqual({ status: 'draining' });
  const api = await fetch(`${url}/api/installations`, { headers: { accept: 'application/json' } });
  expect(api.status).toBe(503);
  expect(api.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(api.headers.get('connection')).toBe('close');
  expect(await api.json()).toMatchObject({ error: 'service_unavailable' });
  const page = await fetch(`${url}/admin/login`, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(503);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(await page.text()).toMatch(/shutting down/);

  const { code, at } = await withinGrace(exit, SHUTDOWN_TIMEOUT_MS + EXIT_GRACE_MS);
  // Not drained (the workers cannot close against a hung Redis): the deadline forced the exit.
  expect(code).toBe(1);
  // eslint-disable-next-line no-console
  console.info(`shutdown with Redis stopped: exited ${Math.round(at - signalled)} ms after SIGTERM (SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`);
}, 60_000);

it('Redis up: SIGTERM => drained, exit code 0', async () => {
  const redis = await ownRedis();
  const { main, exit } = await startMain({ REDIS_URL: redis.url });
  const signalled = performance.now();
  main.child.kill('SIGTERM');
  const { code, at } = await withinGrace(exit, SHUTDOWN_TIMEOUT_MS + EXIT_GRACE_MS);
  expect(code).toBe(0);
  // eslint-disable-next-line no-console
  console.info(`shutdown with Redis up: drained and exited ${Math.round(at - signalled)} ms after SIGTERM`);
}, 60_000);

it('second SIGTERM while draining => exits at once, long before SHUTDOWN_TIMEOUT_MS', async () => {
  const redis = await ownRedis();
  const { main, url, exit } = await startMain({ REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_MS: '600000' });
  redis.process.kill('SIGSTOP');
  main.child.kill('SIGTERM');
  await draining(main);
  expect((await fetch(`${url}/readyz`)).status).toBe(503);
  const second = performance.now();
  main.child.kill('SIGTERM');
  const { code, at } = await withinGrace(exit, EXIT_GRACE_MS);
  expect(code).toBe(1);
  // eslint-disable-next-line no-console
  console.info(`second SIGTERM: exited ${Math.round(at - second)} ms after it`);
}, 60_000);

it('SIGINT after SIGTERM => exits at once too', async () => {
  const redis = await ownRedis();
  const { main, url, exit } = await startMain({ REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_MS: '600000' });
  redis.process.kill('SIGSTOP');
  main.child.kill('SIGTERM');
  await draining(main);
  main.child.kill('SIGINT');
  expect((await withinGrace(exit, EXIT_GRACE_MS)).code).toBe(1);
}, 60_000);

it('own redis-server, Redis up: SIGTERM => drained, exit code 0, its redis-server gone', async () => {
  const { main, exit } = await startMain({ REDIS_FALLBACK: 'private' });
  const pid = main.child.pid ?? 0;
  const [redisPid] = redisChildren(pid);
  expect(redisPid).toBeDefined();
  main.child.kill('SIGTERM');
  expect((await withinGrace(exit, SHUTDOWN_TIMEOUT_MS + EXIT_GRACE_MS)).code).toBe(0);
  await eventually(async () => !alive(redisPid ?? 0), 'its redis-server to be gone');
}, 60_000);

it('own redis-server SIGSTOPped: SIGTERM => forced exit by the deadline, its redis-server killed all the same', async () => {
  const { main, url, exit } = await startMain({ REDIS_FALLBACK: 'private' });
  const [redisPid] = redisChildren(main.child.pid ?? 0);
  if (!redisPid) throw new Error('the demo started no redis-server');
  cleanups.push(async () => {
    if (alive(redisPid)) process.kill(redisPid, 'SIGKILL');
  });
  process.kill(redisPid, 'SIGSTOP');
  main.child.kill('SIGTERM');
  await draining(main);
  expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'draining' });
  expect((await withinGrace(exit, SHUTDOWN_TIMEOUT_MS + EXIT_GRACE_MS)).code).toBe(1);
  await eventually(async () => !alive(redisPid), 'its redis-server to be gone');
}, 60_000);

for (const how of ['exit', 'throw'] as const) {
  it(`a process that started its own redis-server ends (${how === 'exit' ? 'process.exit, as a forced shutdown does' : 'an uncaught error'}) with it SIGSTOPped => the redis-server is gone too`, async () => {
    const parent = spawnTsx(PARENT, {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
      isReady: (line) => line.startsWith('redis-server '),
    });
    cleanups.push(() => parent.kill());
    const redisPid = Number((await parent.ready).split(' ')[1]);
    expect(redisChildren(parent.child.pid ?? 0)).toEqual([redisPid]);
    cleanups.push(async () => {
      if (alive(redisPid)) process.kill(redisPid, 'SIGKILL');
    });
    // Stopped: it could not act on a SIGTERM, only a SIGKILL ends it.
    process.kill(redisPid, 'SIGSTOP');
    const exited = new Promise<void>((resolve) => parent.child.once('exit', () => resolve()));
    parent.send(how);
    await withinGrace(exited, EXIT_GRACE_MS);
    await eventually(async () => !alive(redisPid), 'the redis-server to be gone');
  }, 30_000);
}

it('startPrivateRedis().stop() on a SIGSTOPped server => returns (the server is continued to act on its SIGTERM)', async () => {
  const redis = await startPrivateRedis();
  redis.process.kill('SIGSTOP');
  await withinGrace(redis.stop(), EXIT_GRACE_MS);
  expect(redis.process.exitCode !== null || redis.process.signalCode !== null).toBe(true);
});

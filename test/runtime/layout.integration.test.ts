import { spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { compareStreamIds } from '../../src/platform/event-cursor';
import { ensureLayout, layoutKey, LayoutMismatchError, LAYOUT_VERSION } from '../../src/runtime/redis/layout';
import { createPartitions } from '../../src/runtime/redis/partitions';
import { freePort } from '../../src/runtime/redis-bootstrap';
import { layoutMigrations } from '../../src/runtime/build-services';
import { sinkKeys } from '../../src/webservices/sink-keys';
import { subscriptionKeys } from '../../src/webservices/subscription-keys';
import { childEnv } from '../helpers/child-env';
import { listDevices } from '../helpers/faults';
import { startTestHost, type TestHost } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { toolClient } from '../helpers/redis-client';

/**
 * The key layout recorded with the data (runtime/redis/layout.ts): the partitions are chosen once
 * and a contradicting REDIS_PARTITIONS is refused; a Redis populated by the previous layout (every
 * installation key under `<prefix>:inst:<id>`) is moved into the partitions at start and the
 * service finds all of it again.
 */

const MAIN = fileURLToPath(new URL('../../src/runtime/main.ts', import.meta.url));
let redis: Redis;
const prefixes: string[] = [];

function freshPrefix(): string {
  const prefix = `test-layout-${randomUUID()}`;
  prefixes.push(prefix);
  return prefix;
}

beforeAll(() => {
  redis = toolClient(inject('redisUrl'));
});
afterAll(async () => {
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

describe('ensureLayout on fresh data', () => {
  it('records layout 3 with 16 partitions by default, once; later calls find it', async () => {
    const prefix = freshPrefix();
    expect(await ensureLayout(redis, prefix, undefined)).toEqual({ version: LAYOUT_VERSION, partitions: 16, created: true, migratedKeys: 0 });
    expect(await redis.hgetall(layoutKey(prefix))).toEqual({ version: '3', partitions: '16' });
    expect(await ensureLayout(redis, prefix, undefined)).toEqual({ version: LAYOUT_VERSION, partitions: 16, created: false, migratedKeys: 0 });
    expect((await ensureLayout(redis, prefix, 16)).partitions).toBe(16);
  });

  it('REDIS_PARTITIONS chooses the number when the data is created; afterwards a different one is refused and the record is kept', async () => {
    const prefix = freshPrefix();
    expect((await ensureLayout(redis, prefix, 4)).partitions).toBe(4);
    const refused = await ensureLayout(redis, prefix, 8).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(LayoutMismatchError);
    expect((refused as Error).message).toContain('REDIS_PARTITIONS=8');
    expect((refused as Error).message).toContain('created with 4 partitions');
    // Unset, the recorded number rules.
    expect((await ensureLayout(redis, prefix, undefined)).partitions).toBe(4);
    expect(await redis.hget(layoutKey(prefix), 'partitions')).toBe('4');
  });

  it('two processes creating the layout at once with different numbers: the first record wins, the other is refused', async () => {
    const prefix = freshPrefix();
    const results = await Promise.allSettled([ensureLayout(redis, prefix, 4), ensureLayout(redis, prefix, 8)]);
    const recorded = Number(await redis.hget(layoutKey(prefix), 'partitions'));
    expect([4, 8]).toContain(recorded);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ partitions: number }>).value.partitions)).toEqual([recorded]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.any(LayoutMismatchError)]);
  });

  it('an unreadable or newer record is refused, never guessed at', async () => {
    const garbled = freshPrefix();
    await redis.hset(layoutKey(garbled), 'version', '2', 'partitions', 'many');
    await expect(ensureLayout(redis, garbled, undefined)).rejects.toThrow(/unreadable layout record/);
    const newer = freshPrefix();
    await redis.hset(layoutKey(newer), 'version', '4', 'partitions', '16');
    await expect(ensureLayout(redis, newer, undefined)).rejects.toThrow(/layout 4/);
  });
});

describe('the fan-out delivery state of layout 1', () => {
  it('is moved under its families\' hash tags (cursor, pending lists, markers, generation, active set), once', async () => {
    const prefix = freshPrefix();
    const p = prefix;
    // As layout 1 named them.
    await redis.set(`${p}:ws:fanout-cursor`, '1700000000000-5');
    await redis.set(`${p}:ws:drain-generation`, '7');
    await redis.sadd(`${p}:ws:drains`, 's1|d1');
    await redis.rpush(`${p}:ws:sub:s1:pending:d1`, 'body-1', 'body-2');
    await redis.set(`${p}:ws:sub:s1:drain:d1`, '7');
    await redis.set(`${p}:ws:sub:s1`, '{"record":"stays"}');
    await redis.set(`${p}:sink-fanout-cursor`, '1700000000000-6');
    await redis.rpush(`${p}:sink:k1:pending:c1`, 'sink-body');
    await redis.set(`${p}:sink:k1:drain:c1`, '3');
    await redis.set(`${p}:sink:k1`, '{"sink":"stays"}');

    const layout = await ensureLayout(redis, prefix, undefined, layoutMigrations(prefix));
    expect(layout.migratedKeys).toBe(8);
    const ws = subscriptionKeys(prefix);
    const sinks = sinkKeys(prefix);
    expect(await redis.get(ws.fanoutCursor())).toBe('1700000000000-5');
    expect(await redis.get(ws.deliveryGeneration())).toBe('7');
    expect(await redis.smembers(ws.activeDrains())).toEqual(['s1|d1']);
    expect(await redis.lrange(ws.deliveryList('s1', 'd1'), 0, -1)).toEqual(['body-1', 'body-2']);
    expect(await redis.get(ws.deliveryMarker('s1', 'd1'))).toBe('7');
    expect(await redis.get(sinks.fanoutCursor())).toBe('1700000000000-6');
    expect(await redis.lrange(sinks.deliveryList('k1', 'c1'), 0, -1)).toEqual(['sink-body']);
    expect(await redis.get(sinks.deliveryMarker('k1', 'c1'))).toBe('3');
    // Records are not delivery state: they keep their names.
    expect(await redis.get(`${p}:ws:sub:s1`)).toBe('{"record":"stays"}');
    expect(await redis.get(`${p}:sink:k1`)).toBe('{"sink":"stays"}');
    expect(await redis.exists(`${p}:ws:fanout-cursor`, `${p}:ws:sub:s1:pending:d1`, `${p}:sink:k1:drain:c1`)).toBe(0);
  });
});

describe('layout 2 data (a stream per installation beside its partition\'s)', () => {
  /** What layout 2 left for installation `id`: its own events stream, its devices, and its events in the partition stream. */
  async function layout2Installation(prefix: string, partitions: number): Promise<{ id: string; stream: string; devices: string; partition: string }> {
    const id = randomUUID();
    const space = createPartitions(prefix, partitions).spaceOf(id);
    const keys = { id, stream: `${space}:inst:${id}:events`, devices: `${space}:inst:${id}:devices`, partition: `${space}:events` };
    const multi = redis.multi();
    for (let n = 0; n < 3; n++) {
      const f = ['type', 'device.stateChanged', 'installationId', id, 'deviceId', 'd', 'at', new Date().toISOString(), 'data', `{"n":${n}}`];
      multi.xadd(keys.stream, '*', ...f).xadd(keys.partition, '*', ...f);
    }
    await multi.hset(keys.devices, 'dev-1', '{}').exec();
    return keys;
  }

  it('is migrated to layout 3 at start: every installation\'s stream deleted, its partition\'s events and other keys kept; once', async () => {
    const prefix = freshPrefix();
    await redis.hset(layoutKey(prefix), 'version', '2', 'partitions', '4');
    const installations = await Promise.all(Array.from({ length: 30 }, () => layout2Installation(prefix, 4)));
    const partitionLengths = async () => Promise.all(installations.map((i) => redis.xlen(i.partition)));
    const lengthsBefore = await partitionLengths();

    const layout = await ensureLayout(redis, prefix, undefined, layoutMigrations(prefix));
    expect(layout).toEqual({ version: LAYOUT_VERSION, partitions: 4, created: false, migratedKeys: 30 });
    expect(await redis.hgetall(layoutKey(prefix))).toEqual({ version: '3', partitions: '4' });
    expect(await redis.keys(`${prefix}:*:inst:*:events`)).toEqual([]);
    expect(await redis.exists(...installations.map((i) => i.devices))).toBe(30);
    expect(await partitionLengths()).toEqual(lengthsBefore);
    // Recorded as 3: the next start scans nothing.
    expect(await ensureLayout(redis, prefix, undefined, layoutMigrations(prefix))).toEqual({ version: LAYOUT_VERSION, partitions: 4, created: false, migratedKeys: 0 });
  });

  it('two processes migrating at once delete each stream once between them; a contradicting REDIS_PARTITIONS is refused before anything is deleted', async () => {
    const prefix = freshPrefix();
    await redis.hset(layoutKey(prefix), 'version', '2', 'partitions', '4');
    const installations = await Promise.all(Array.from({ length: 20 }, () => layout2Installation(prefix, 4)));
    await expect(ensureLayout(redis, prefix, 8)).rejects.toBeInstanceOf(LayoutMismatchError);
    expect(await redis.exists(...installations.map((i) => i.stream))).toBe(20);

    const both = await Promise.all([ensureLayout(redis, prefix, undefined), ensureLayout(redis, prefix, 4)]);
    expect(both.map((l) => l.version)).toEqual([3, 3]);
    expect(both[0]!.migratedKeys + both[1]!.migratedKeys).toBe(20);
    expect(await redis.exists(...installations.map((i) => i.stream))).toBe(0);
  });
});

describe('a Redis populated by layout 1', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(async () => {
    await host?.close();
  });

  it('is migrated at start: every installation key moves into its partition (values and TTLs kept) and the service finds it all again', async () => {
    const prefix = host.config.keyPrefix;
    // Populate through the real flows: two linked installations with selected devices.
    const linked = [await link(host), await link(host)];
    for (const inst of linked) {
      const discovered = (await (await host.admin(`/api/installations/${inst.id}/discovered`)).json()) as Array<{ externalId: string }>;
      const put = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: discovered.map((d) => d.externalId) }) });
      expect(put.status).toBe(200);
    }
    const before = await Promise.all(linked.map(async (inst) => ({ record: await (await host.admin(`/api/installations/${inst.id}`)).json(), devices: await listDevices(host, inst.id) })));
    expect(before.every((b) => b.devices.length > 0)).toBe(true);

    // Turn it into what layout 1 wrote: the same keys without the partition, no layout record.
    const partitioned = await host.inspect.keys(`${prefix}:{${prefix}:p*}:inst:*`);
    expect(partitioned.length).toBeGreaterThan(4);
    const layout1 = (key: string): string => `${prefix}:inst:${key.split(':inst:').slice(1).join(':inst:')}`;
    for (const key of partitioned) await host.inspect.rename(key, layout1(key));
    // ...and the partition event streams merged into layout 1's platform-wide stream, ids kept.
    const eventsBefore = ((await (await host.admin('/api/events?limit=1000')).json()) as { events: Array<{ type: string; installationId: string }> }).events;
    expect(eventsBefore.length).toBeGreaterThan(4);
    const streams = await host.inspect.keys(`${prefix}:{${prefix}:p*}:events`);
    const entries = (await Promise.all(streams.map((key) => host.inspect.xrange(key, '-', '+')))).flat();
    entries.sort(([a], [b]) => compareStreamIds(a, b));
    for (const [id, flat] of entries) await host.inspect.xadd(`${prefix}:events`, id, ...flat);
    await host.inspect.del(...streams);
    const oldCursor = entries[1]![0];
    // Layout 1 also kept a stream per installation: moved into the partition, then deleted (layout 3).
    await host.inspect.xadd(`${prefix}:inst:${linked[0]!.id}:events`, '*', 'type', 'installation.linked', 'installationId', linked[0]!.id);
    const withTtl = `${prefix}:inst:${linked[0]!.id}:sync-lock`;
    await host.inspect.set(withTtl, 'owner', 'PX', 600_000);
    await host.inspect.del(layoutKey(prefix));
    // The service does not find layout-1 data: the migration is what brings it back.
    expect((await host.admin(`/api/installations/${linked[0]!.id}`)).status).toBe(404);

    const layout = await ensureLayout(host.services.redis, prefix, undefined);
    // Every key renamed, the platform-wide stream, and the installation's stream once more (deleted).
    expect(layout).toEqual({ version: LAYOUT_VERSION, partitions: 16, created: true, migratedKeys: partitioned.length + 2 + 2 });
    expect(await host.inspect.keys(`${prefix}:*:inst:*:events`)).toEqual([]);
    expect(await host.inspect.exists(`${prefix}:events`)).toBe(0);
    // Every installation's events are there again, in the same order; a reader's old cursor (a
    // stream id of the platform-wide stream) reads on from the same place.
    const eventsAfter = ((await (await host.admin('/api/events?limit=1000')).json()) as { events: Array<{ type: string; installationId: string }> }).events;
    expect(eventsAfter.map((e) => [e.type, e.installationId])).toEqual(eventsBefore.map((e) => [e.type, e.installationId]));
    const fromOld = ((await (await host.admin(`/api/events?limit=1000&after=${oldCursor}`)).json()) as { events: unknown[] }).events;
    expect(fromOld.length).toBe(eventsBefore.length - 2);
    expect(await host.inspect.keys(`${prefix}:inst:*`)).toEqual([]);
    const after = await Promise.all(linked.map(async (inst) => ({ record: await (await host.admin(`/api/installations/${inst.id}`)).json(), devices: await listDevices(host, inst.id) })));
    expect(after).toEqual(before);
    const moved = `${host.services.keys.partitions.spaceOf(linked[0]!.id)}:inst:${linked[0]!.id}:sync-lock`;
    expect(await host.inspect.get(moved)).toBe('owner');
    expect(await host.inspect.pttl(moved)).toBeGreaterThan(0);
    // Run again (a second process starting): nothing left to move.
    expect((await ensureLayout(host.services.redis, prefix, undefined)).migratedKeys).toBe(0);
  });

  it('a host process started with a REDIS_PARTITIONS the data contradicts exits with code 2 and says what to do', async () => {
    await ensureLayout(host.services.redis, host.config.keyPrefix, undefined);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...(await childEnv(host.config)), REDIS_PARTITIONS: '8', PORT: '0', METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).toContain('REDIS_PARTITIONS=8');
    expect(stderr).toContain('Unset REDIS_PARTITIONS or set it to 16');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(code).toBe(2);
  }, 30_000);

  it('Redis unreachable at start: the host starts with 16 partitions, and when Redis comes and says otherwise it exits with code 2', async () => {
    const prefix = freshPrefix();
    await ensureLayout(redis, prefix, 8);
    // A gate in front of the test Redis: connections are refused until it opens.
    const target = new URL(inject('redisUrl'));
    let open = false;
    const sockets = new Set<Socket>();
    const gate: Server = createServer((socket) => {
      if (!open) return void socket.destroy();
      const upstream = createConnection(Number(target.port), target.hostname);
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const close = (): void => void [socket, upstream].forEach((s) => s.destroy());
      socket.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', () => resolve()));
    const gatePort = (gate.address() as { port: number }).port;
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...(await childEnv(host.config)), REDIS_URL: `redis://127.0.0.1:${gatePort}`, KEY_PREFIX: prefix, PORT: String(port), METRICS_PORT: '0', DEMO: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    try {
      // Listening (services built with 16 partitions), not ready: Redis is behind the closed gate.
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200, 'the host to listen', 20_000);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
      open = true;
      expect(await exited).toBe(2);
      expect(stderr).toContain('was created with 8 partitions');
      expect(stderr).toContain('started while Redis was unreachable and built its keys for 16 partitions; restart it');
    } finally {
      child.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => gate.close(() => resolve()));
    }
  }, 40_000);
});

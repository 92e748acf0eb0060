import { DEFAULT_PARTITION_COUNT, partitionOf } from '../../src/runtime/redis/partitions';
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventLog, type NewEvent, type PlatformEvent } from '../../src/platform/event-log';
import { eventKeys } from '../../src/platform/event-keys';
import { compareStreamIds, InvalidEventCursorError } from '../../src/platform/event-cursor';
import { createKeys } from '../../src/runtime/redis/keys';
import { ensureLayout, layoutKey } from '../../src/runtime/redis/layout';
import type { Keys } from '../../src/runtime';
import { startCluster, type RedisCluster } from '../helpers/cluster';
import { toolClient } from '../helpers/redis-client';

/**
 * Every installation's events, merged from the partition streams under a composite cursor: read
 * page by page, every event comes exactly once, one installation's in the order written, also
 * when a partition receives an entry older than what other partitions already returned. One
 * installation's events are its partition's entries filtered by installation, read in bounded
 * scans that hand back where they stopped.
 */

const event = (installationId: string, n: number): NewEvent => ({ type: 'device.stateChanged', installationId, deviceId: `d${n}`, data: { n } });

async function readAll(log: EventLog, limit: number, after?: string): Promise<{ events: PlatformEvent[]; next: string | undefined }> {
  const events: PlatformEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await log.readGlobal(cursor, limit);
    if (page.length === 0) return { events, next: cursor };
    events.push(...page);
    cursor = page.at(-1)?.cursor;
  }
}

describe('on the single server', () => {
  let redis: Redis;
  let keys: Keys;
  let log: EventLog;
  beforeAll(() => {
    redis = toolClient(inject('redisUrl'));
    keys = createKeys(`test-events-${randomUUID()}`, 4);
    log = new EventLog(redis, keys);
  });
  afterAll(async () => {
    const left = await redis.keys(`${keys.prefix}:*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
  });

  it('pages of every size return each event once, every installation\'s in the order written', async () => {
    const installations = Array.from({ length: 10 }, () => randomUUID());
    expect(new Set(installations.map((id) => keys.partitions.of(id))).size).toBeGreaterThan(1);
    for (let n = 0; n < 6; n++) for (const id of installations) await log.append([event(id, n)]);
    for (const limit of [1, 7, 1000]) {
      const { events } = await readAll(log, limit);
      expect(events.length).toBe(60);
      expect(new Set(events.map((e) => e.id)).size).toBe(60);
      for (const id of installations) expect(events.filter((e) => e.installationId === id).map((e) => e.data['n'])).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('an entry that lands in a partition after newer ones of other partitions were read is still read, once', async () => {
    const { next } = await readAll(log, 5);
    // Two installations in different partitions.
    const ids = Array.from({ length: 40 }, () => randomUUID());
    const a = ids[0]!;
    const b = ids.find((id) => keys.partitions.of(id) !== keys.partitions.of(a))!;
    await log.append([event(b, 100)]);
    const first = await log.readGlobal(next, 10);
    expect(first.map((e) => e.data['n'])).toEqual([100]);
    // A writer whose entry is older than b's (another clock, a slow MULTI) adds to a's partition.
    const [bId] = first[0]!.id.split('.');
    const [ms] = (bId ?? '').split('-');
    await redis.xadd(eventKeys(keys).partitionEventsOf(a), `${Number(ms) - 5}-0`, 'type', 'device.stateChanged', 'installationId', a, 'deviceId', 'd', 'at', new Date().toISOString(), 'data', '{"n":99}');
    const late = await readAll(log, 10, first[0]!.cursor);
    expect(late.events.map((e) => e.data['n'])).toEqual([99]);
    expect(await log.readGlobal(late.next, 10)).toEqual([]);
  });

  it('a stream id from before partitions is read as that position in every partition; a malformed cursor is refused', async () => {
    const all = (await readAll(log, 1000)).events;
    const middle = all[30]!.id.split('.')[0]!;
    const after = await readAll(log, 1000, middle);
    expect(after.events.length).toBeGreaterThan(0);
    expect(after.events.length).toBeLessThan(all.length);
    expect(after.events.every((e) => compareStreamIds(e.id.split('.')[0] ?? '', middle) > 0)).toBe(true);
    expect(after.events.length).toBe(all.filter((e) => compareStreamIds(e.id.split('.')[0] ?? '', middle) > 0).length);
    await expect(log.readGlobal('1-0.2-0', 10)).rejects.toBeInstanceOf(InvalidEventCursorError);
    await expect(log.readGlobal('nope', 10)).rejects.toBeInstanceOf(InvalidEventCursorError);
    expect(log.isGlobalCursor('1-0')).toBe(true);
    expect(log.isGlobalCursor('1-0.1-0.1-0.1-0')).toBe(true);
    expect(log.isGlobalCursor('1-0.1-0')).toBe(false);
  });

  it('lastGlobalCursor covers every partition: reading after it finds nothing until the next event', async () => {
    const last = await log.lastGlobalCursor();
    expect(last).toBeDefined();
    expect(await log.readGlobal(last, 10)).toEqual([]);
    const id = randomUUID();
    await log.append([event(id, 7)]);
    expect((await log.readGlobal(last, 10)).map((e) => e.installationId)).toEqual([id]);
  });
});

/** `n` installation ids in partition `k` of `keys`. */
function idsIn(keys: Keys, k: number, n: number): string[] {
  const ids: string[] = [];
  while (ids.length < n) {
    const id = randomUUID();
    if (keys.partitions.of(id) === k) ids.push(id);
  }
  return ids;
}

/** Every event of one installation after `after`, page by page, until `next` comes back unchanged. */
async function readInstallationAll(log: EventLog, id: string, limit: number, after?: string): Promise<{ events: PlatformEvent[]; pages: number; next: string | undefined }> {
  const events: PlatformEvent[] = [];
  let cursor = after;
  for (let pages = 1; ; pages++) {
    const page = await log.readInstallation(id, cursor, limit);
    expect(page.events.length).toBeLessThanOrEqual(limit);
    events.push(...page.events);
    if (page.next === cursor) return { events, pages, next: cursor };
    cursor = page.next;
  }
}

describe("one installation's events, from its partition's stream", () => {
  let redis: Redis;
  let keys: Keys;
  beforeAll(() => {
    redis = toolClient(inject('redisUrl'));
    keys = createKeys(`test-events-${randomUUID()}`, 4);
  });
  afterAll(async () => {
    const left = await redis.keys(`${keys.prefix}:*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
  });

  it('an append writes the partition stream only: no key of the installation', async () => {
    const log = new EventLog(redis, keys);
    const [id] = idsIn(keys, 2, 1) as [string];
    await log.append([event(id, 0), event(id, 1)]);
    expect(await redis.xlen(eventKeys(keys).partitionEventsOf(id))).toBe(2);
    expect(await redis.keys(`${keys.prefix}:*:inst:*`)).toEqual([]);
  });

  it('interleaved installations of one partition: pages of any size and scan bound return each event once, in order', async () => {
    const [a, b, c] = idsIn(keys, 0, 3) as [string, string, string];
    const written = new Map<string, number[]>([[a, []], [b, []], [c, []]]);
    // A pattern where runs of one installation alternate with long runs of the others.
    const order = [a, b, b, c, a, a, b, b, b, b, b, b, b, c, c, a, b, c, b, b, b, b, b, b, b, b, b, a, c, a];
    const writer = new EventLog(redis, keys);
    for (let round = 0; round < 2; round++) {
      // Batches of 1-3 events in one MULTI: ids of one millisecond, differing only in the sequence.
      for (let n = 0, size = 1; n < order.length; n += size, size = (size % 3) + 1) {
        const batch = order.slice(n, n + size).map((id, i) => {
          written.get(id)!.push(round * 100 + n + i);
          return event(id, round * 100 + n + i);
        });
        await writer.append(batch);
      }
    }
    for (const scanLimit of [1, 2, 5, 7, 1000]) {
      const log = new EventLog(redis, keys, Date.now, { scanLimit });
      for (const limit of [1, 2, 3, 100]) {
        for (const id of [a, b, c]) {
          const { events } = await readInstallationAll(log, id, limit);
          expect(events.map((e) => e.data['n']), `scanLimit ${scanLimit}, limit ${limit}`).toEqual(written.get(id));
          expect(events.every((e) => e.installationId === id)).toBe(true);
          expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
        }
      }
    }
    // The same event has the same identity in both reads: its partition stream id and partition.
    const log = new EventLog(redis, keys);
    const global = (await readAll(log, 1000)).events.filter((e) => e.installationId === a);
    expect((await readInstallationAll(log, a, 1000)).events.map((e) => e.id)).toEqual(global.map((e) => e.id));
    expect(global.every((e) => e.id.endsWith('.0'))).toBe(true);
  });

  it('the scan bound reached: the page holds what was found and `next` where the scan stopped; read on, the rest comes', async () => {
    const [quiet, busy] = idsIn(keys, 1, 2) as [string, string];
    const log = new EventLog(redis, keys, Date.now, { scanLimit: 10 });
    await log.append([event(quiet, 1)]);
    for (let n = 0; n < 25; n++) await log.append([event(busy, n)]);
    await log.append([event(quiet, 2)]);
    const stream = eventKeys(keys).partitionEventsOf(quiet);
    const ids = (await redis.xrange(stream, '-', '+')).map(([id]) => id);

    const first = await log.readInstallation(quiet, undefined, 100);
    expect(first.events.map((e) => e.data['n'])).toEqual([1]);
    expect(first.next).toBe(ids[9]); // ten entries examined, the first one quiet's
    const second = await log.readInstallation(quiet, first.next, 100);
    expect(second.events).toEqual([]); // none of quiet's among these ten: not the end
    expect(second.next).toBe(ids[19]);
    const third = await log.readInstallation(quiet, second.next, 100);
    expect(third.events.map((e) => e.data['n'])).toEqual([2]);
    expect(third.next).toBe(ids[26]);
    // Caught up: `next` comes back as it went.
    expect(await log.readInstallation(quiet, third.next, 100)).toEqual({ events: [], next: third.next });
    // The end of the stream before the bound: the cursor moves to the last entry examined.
    const fromLastOfBusy = await log.readInstallation(busy, ids[20], 100);
    expect(fromLastOfBusy.events.map((e) => e.data['n'])).toEqual([20, 21, 22, 23, 24]);
    expect(fromLastOfBusy.next).toBe(ids[26]);
    // Nothing at all yet, no cursor given: none to hand back.
    const [fresh] = idsIn(keys, 3, 1) as [string];
    expect(await log.readInstallation(fresh, undefined, 100)).toEqual({ events: [], next: undefined });
  });

  it('recent: newest first, bounded the same way; `next` reads on to older events until the start of the stream', async () => {
    const [quiet, busy] = idsIn(keys, 3, 2) as [string, string];
    const log = new EventLog(redis, keys, Date.now, { scanLimit: 10 });
    await log.append([event(quiet, 1)]);
    await log.append([event(quiet, 2)]);
    for (let n = 0; n < 15; n++) await log.append([event(busy, n)]);
    await log.append([event(quiet, 3)]);

    const newest = await log.recent(quiet, 20);
    expect(newest.events.map((e) => e.data['n'])).toEqual([3]);
    expect(newest.next).toBeDefined();
    const older = await log.recent(quiet, 20, newest.next);
    expect(older.events.map((e) => e.data['n'])).toEqual([2, 1]);
    expect(older.next).toBeUndefined();
    // The page full before the bound: its last event is where older ones go on.
    const two = await new EventLog(redis, keys).recent(busy, 2);
    expect(two.events.map((e) => e.data['n'])).toEqual([14, 13]);
    expect((await new EventLog(redis, keys).recent(busy, 20, two.next)).events.map((e) => e.data['n'])).toEqual(Array.from({ length: 13 }, (_, i) => 12 - i));
  });

  it("a cursor issued before layout 3 (an id in the installation's own stream) reads on from that time: nothing after it skipped", async () => {
    const [a, b] = idsIn(keys, 2, 2) as [string, string];
    const k = eventKeys(keys);
    // Written as layout 2 wrote them: the installation's stream, then the partition's, in one MULTI;
    // b's events in the same MULTIs give the partition stream sequences a's stream does not have.
    let n = 0;
    for (let round = 0; round < 6; round++) {
      const multi = redis.multi();
      for (const id of [b, a, b, a, b]) {
        const f = ['type', 'device.stateChanged', 'installationId', id, 'deviceId', 'd', 'at', new Date().toISOString(), 'data', JSON.stringify({ n: n++ })];
        multi.xadd(k.legacyInstallationEvents(id), '*', ...f);
        multi.xadd(k.partitionEventsOf(id), '*', ...f);
      }
      await multi.exec();
    }
    const old = await redis.xrange(k.legacyInstallationEvents(a), '-', '+');
    const all = old.map(([, flat]) => JSON.parse(flat[flat.indexOf('data') + 1] ?? '{}') as { n: number }).map((d) => d.n);
    const log = new EventLog(redis, keys);
    for (const [i, [oldCursor]] of old.entries()) {
      const { events } = await readInstallationAll(log, a, 3, oldCursor);
      const got = events.map((e) => e.data['n'] as number);
      // Everything after the cursor's event, in order; before it at most events of its millisecond.
      const later = all.slice(i + 1);
      expect(got.slice(got.length - later.length)).toEqual(later);
      const again = got.slice(0, got.length - later.length);
      expect(again).toEqual(all.slice(i + 1 - again.length, i + 1));
      const ms = oldCursor.split('-')[0];
      expect(events.slice(0, again.length).every((e) => e.cursor.split('-')[0] === ms)).toBe(true);
    }
    await redis.del(k.legacyInstallationEvents(a), k.legacyInstallationEvents(b));
  });

  it('EVENT_RETENTION bounds every partition stream to about retention / partitions entries', async () => {
    const small = createKeys(`test-events-${randomUUID()}`, 4);
    const log = new EventLog(redis, small, Date.now, { retention: 1_000 });
    const [id] = idsIn(small, 1, 1) as [string];
    for (let n = 0; n < 20; n++) await log.append(Array.from({ length: 100 }, (_, i) => event(id, n * 100 + i)));
    const length = await redis.xlen(eventKeys(small).partitionEventsOf(id));
    // Approximate trimming drops whole nodes (100 entries each by default): at least 250 kept, fewer than a node more.
    expect(length).toBeGreaterThanOrEqual(250);
    expect(length).toBeLessThan(350);
    const left = await redis.keys(`${small.prefix}:*`);
    if (left.length) await redis.del(...left);
  });
});

describe('on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
    client = cluster.client();
  }, 90_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it("events go to the partition streams; one installation's are read from its partition's; the merged read spans every node", async () => {
    const keys = createKeys('sm-test');
    const log = new EventLog(client as unknown as Redis, keys);
    // One installation in each of partitions 0–11: which nodes hold data is then the same every run
    // (twelve random ids could all land on partitions served by two of the three primaries).
    const byPartition = new Map<number, string>();
    while (byPartition.size < 12) {
      const id = randomUUID();
      const k = partitionOf(id, DEFAULT_PARTITION_COUNT);
      if (k < 12 && !byPartition.has(k)) byPartition.set(k, id);
    }
    const installations = [...byPartition.values()];
    for (let n = 0; n < 3; n++) for (const id of installations) await log.append([event(id, n)]);
    const { events } = await readAll(log, 5);
    expect(events.length).toBe(36);
    for (const id of installations) {
      expect(events.filter((e) => e.installationId === id).map((e) => e.data['n'])).toEqual([0, 1, 2]);
      expect((await log.readInstallation(id, undefined)).events.map((e) => e.data['n'])).toEqual([0, 1, 2]);
      expect((await log.recent(id, 2)).events.map((e) => e.data['n'])).toEqual([2, 1]);
    }
    const sizes = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    expect(sizes.every((size) => size > 0)).toBe(true);
    expect(await log.readGlobal(await log.lastGlobalCursor(), 10)).toEqual([]);
    // The fan-out's wait cannot be one XREAD over the partitions' slots: it returns, never CROSSSLOT.
    await expect(log.waitForGlobal(client as unknown as Redis, (await log.lastGlobalCursor()) ?? '$', 2_000)).resolves.toBeUndefined();
  });

  it('layout 2 → 3 deletes the per-installation streams on every primary (a SCAN of each), and only them', async () => {
    const keys = createKeys('sm-migrate');
    const k = eventKeys(keys);
    const redis = client as unknown as Redis;
    const installations = keys.partitions.all().map((p) => idsIn(keys, p, 1)[0]!);
    for (const id of installations) {
      await redis.multi().xadd(k.legacyInstallationEvents(id), '*', 'installationId', id).xadd(k.partitionEventsOf(id), '*', 'installationId', id).exec();
    }
    await redis.hset(layoutKey(keys.prefix), 'version', '2', 'partitions', String(keys.partitions.count));
    const perPrimary = await Promise.all(client.nodes('master').map((node) => node.keys('sm-migrate:*:inst:*:events')));
    expect(perPrimary.every((found) => found.length > 0)).toBe(true);

    expect((await ensureLayout(redis, keys.prefix, undefined)).migratedKeys).toBe(installations.length);
    expect((await Promise.all(client.nodes('master').map((node) => node.keys('sm-migrate:*:inst:*:events')))).flat()).toEqual([]);
    expect(await Promise.all(installations.map((id) => redis.xlen(k.partitionEventsOf(id))))).toEqual(installations.map(() => 1));
  });
});

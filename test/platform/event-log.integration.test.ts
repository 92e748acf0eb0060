import { DEFAULT_PARTITION_COUNT, partitionOf } from '../../src/runtime/redis/partitions';
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventLog, type NewEvent, type PlatformEvent } from '../../src/platform/event-log';
import { eventKeys } from '../../src/platform/event-keys';
import { compareStreamIds, InvalidEventCursorError } from '../../src/platform/event-cursor';
import { RedisConnections } from '../../src/runtime/redis/connections';
import { createKeys } from '../../src/runtime/redis/keys';
import type { Keys } from '../../src/runtime';
import { startCluster, type RedisCluster } from '../helpers/cluster';
import { toolClient } from '../helpers/redis-client';

/**
 * Every installation's events, merged from the partition streams under a composite cursor: read
 * page by page, every event comes exactly once, one installation's in the order written, also
 * when a partition receives an entry older than what other partitions already returned.
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

describe('on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
    client = new RedisConnections(cluster.topology, { commandTimeoutMs: 2_000 }).createCluster('tool');
    client.on('error', () => undefined);
  }, 90_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it("an installation's stream and its partition's are written in one MULTI (one slot); the merged read spans every node", async () => {
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
      expect((await log.readInstallation(id, undefined)).length).toBe(3);
    }
    const sizes = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    expect(sizes.every((size) => size > 0)).toBe(true);
    expect(await log.readGlobal(await log.lastGlobalCursor(), 10)).toEqual([]);
    // The fan-out's wait cannot be one XREAD over the partitions' slots: it returns, never CROSSSLOT.
    await expect(log.waitForGlobal(client as unknown as Redis, (await log.lastGlobalCursor()) ?? '$', 2_000)).resolves.toBeUndefined();
  });
});

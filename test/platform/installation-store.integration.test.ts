import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { InstallationStore } from '../../src/platform/installation-store';
import { installationKeys } from '../../src/platform/installation-keys';
import { tokenKeys } from '../../src/cloud/token-keys';
import { createKeys } from '../../src/runtime/redis/keys';
import type { Keys } from '../../src/runtime';
import { startCluster, type RedisCluster } from '../helpers/cluster';
import { toolClient } from '../helpers/redis-client';

/**
 * The installation record family without cross-slot transactions (issue 16): the record lives in
 * its partition, the indexes and the singleInstance slot under keys of their own, written in an
 * order that a crash can only leave in states the next read or write repairs. Run on the single
 * test server (crash states planted directly) and on a real Redis Cluster.
 */

const now = new Date('2026-01-02T03:04:05.000Z');
const input = (keys: Keys, over: Partial<{ id: string; locationId: string; singleInstance: boolean }> = {}) => ({
  id: over.id ?? randomUUID(),
  connector: 'acme',
  locationId: over.locationId ?? `loc-${randomUUID()}`,
  singleInstance: over.singleInstance ?? true,
  tokenHash: 'h'.repeat(64),
  now,
  keys,
});

describe('on the single server: what a crash half-way leaves is repaired', () => {
  let redis: Redis;
  let keys: Keys;
  let store: InstallationStore;
  beforeAll(() => {
    redis = toolClient(inject('redisUrl'));
    keys = createKeys(`test-inststore-${randomUUID()}`);
    store = new InstallationStore(redis, keys, tokenKeys(keys).installationTokens);
  });
  afterAll(async () => {
    const left = await redis.keys(`${keys.prefix}:*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
  });

  it('a record is stored without its id (the key names it) and reads with it; one written before, with it, reads the same', async () => {
    const k = installationKeys(keys);
    const a = input(keys, { singleInstance: false });
    const created = await store.create(a);
    expect(await redis.hexists(k.installation(a.id), 'id')).toBe(0);
    expect(await store.get(a.id)).toEqual(created.created ? created.installation : undefined);
    expect((await store.list({ locationId: a.locationId })).map((i) => i.id)).toEqual([a.id]);
    await redis.hset(k.installation(a.id), 'id', a.id);
    expect(await store.get(a.id)).toEqual(created.created ? created.installation : undefined);
  });

  it('a singleInstance slot naming an installation whose record is gone (a crashed create or delete) is taken over', async () => {
    const k = installationKeys(keys);
    const a = input(keys);
    await redis.set(k.singleInstance('acme', a.locationId), 'ghost-id');
    const created = await store.create(a);
    expect(created.created).toBe(true);
    expect(await redis.get(k.singleInstance('acme', a.locationId))).toBe(a.id);
    expect((await store.list({ locationId: a.locationId })).map((i) => i.id)).toEqual([a.id]);
  });

  it('a live holder that crashed before its index entries: the second create is refused with its id, and the holder is listed again', async () => {
    const k = installationKeys(keys);
    const a = input(keys);
    // What a create that crashed after claiming the slot leaves: the record and the slot, no index entry.
    await redis.hset(k.installation(a.id), { id: a.id, connector: 'acme', locationId: a.locationId, status: 'pending', createdAt: now.toISOString(), updatedAt: now.toISOString(), tokenHash: a.tokenHash });
    await redis.set(k.singleInstance('acme', a.locationId), a.id);
    expect(await store.list({ locationId: a.locationId })).toEqual([]);

    const b = input(keys, { locationId: a.locationId });
    expect(await store.create(b)).toEqual({ created: false, existingId: a.id });
    expect(await redis.exists(k.installation(b.id))).toBe(0);
    expect((await store.list({ locationId: a.locationId })).map((i) => i.id)).toEqual([a.id]);
    expect((await store.list()).map((i) => i.id)).toContain(a.id);
    expect((await store.page(undefined, 1000)).items.map((i) => i.id)).toContain(a.id);
  });

  it('an index entry whose record is gone (a crashed delete) is skipped by every read, and a second delete finishes the first', async () => {
    const k = installationKeys(keys);
    const created = await store.create(input(keys));
    if (!created.created) throw new Error('not created');
    const inst = created.installation;
    // What a delete that crashed after the record leaves: index entries and the slot.
    expect(await redis.zscore(k.installationsIndex(), `${inst.createdAt}|${inst.id}`)).not.toBeNull();
    await redis.del(k.installation(inst.id));
    expect((await store.list()).map((i) => i.id)).not.toContain(inst.id);
    expect((await store.page(undefined, 1000)).items.map((i) => i.id)).not.toContain(inst.id);
    expect(await store.delete(inst)).toBe(false);
    expect(await redis.zscore(k.installationsAtLocation(inst.locationId), inst.id)).toBeNull();
    expect(await redis.zscore(k.installationsIndex(), `${inst.createdAt}|${inst.id}`)).toBeNull();
    expect(await redis.exists(k.singleInstance('acme', inst.locationId))).toBe(0);
  });

  it('two creates racing for one location: exactly one wins, the other gets its id and leaves no record', async () => {
    const k = installationKeys(keys);
    const locationId = `loc-${randomUUID()}`;
    const racers = Array.from({ length: 8 }, () => input(keys, { locationId }));
    const results = await Promise.all(racers.map((r) => store.create(r)));
    const winners = results.filter((r) => r.created);
    expect(winners.length).toBe(1);
    const winner = winners[0]!.created ? winners[0]!.installation.id : '';
    expect(results.filter((r) => !r.created)).toEqual(Array.from({ length: 7 }, () => ({ created: false, existingId: winner })));
    for (const r of racers) expect(await redis.exists(k.installation(r.id))).toBe(r.id === winner ? 1 : 0);
    expect((await store.list({ locationId })).map((i) => i.id)).toEqual([winner]);
  });
});

describe('on the single server: the set indexes older versions wrote are moved to sorted sets on read', () => {
  let redis: Redis;
  let keys: Keys;
  let store: InstallationStore;
  beforeAll(() => {
    redis = toolClient(inject('redisUrl'));
  });
  beforeEach(() => {
    // A key space of its own per test: the fleet set is account-wide.
    keys = createKeys(`test-instlegacy-${randomUUID()}`);
    store = new InstallationStore(redis, keys, tokenKeys(keys).installationTokens);
  });
  afterAll(async () => {
    const left = await redis.keys('test-instlegacy-*');
    if (left.length) await redis.del(...left);
    redis.disconnect();
  });

  /** An installation record as any version writes it, listed only where an older version listed it. */
  const plantRecord = async (locationId: string, createdAt: string): Promise<string> => {
    const id = randomUUID();
    const k = installationKeys(keys);
    await redis.hset(k.installation(id), { id, connector: 'acme', locationId, status: 'linked', createdAt, updatedAt: createdAt, tokenHash: 'h'.repeat(64) });
    return id;
  };

  it('the fleet set of ids (no index entries, no marker) => list and page return each once, in creation order; the set is gone, a ghost id is not indexed', async () => {
    const k = installationKeys(keys);
    const ids = [
      await plantRecord('home', '2026-01-01T00:00:03.000Z'),
      await plantRecord('home', '2026-01-01T00:00:01.000Z'),
      await plantRecord('away', '2026-01-01T00:00:02.000Z'),
    ];
    await redis.sadd(k.legacyInstallationsAll(), ...ids, 'ghost-id');
    await redis.set(k.legacyInstallationsIndexBackfilled(), 'x');
    expect((await store.list()).map((i) => i.id)).toEqual([ids[1], ids[2], ids[0]]);
    expect(await redis.exists(k.legacyInstallationsAll(), k.legacyInstallationsIndexBackfilled())).toBe(0);
    expect(await redis.zcard(k.installationsIndex())).toBe(3);
    // Nothing left to move: the next reads answer from the index alone.
    const first = await store.page(undefined, 2);
    const second = await store.page(first.next ?? undefined, 2);
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual([ids[1], ids[2], ids[0]]);
    expect(second.next).toBeNull();
  });

  it('page is the first read => it moves the set too; an id an older process adds afterwards is moved by the next read', async () => {
    const k = installationKeys(keys);
    const a = await plantRecord('home', '2026-01-01T00:00:01.000Z');
    await redis.sadd(k.legacyInstallationsAll(), a);
    expect((await store.page(undefined, 10)).items.map((i) => i.id)).toEqual([a]);
    const b = await plantRecord('home', '2026-01-01T00:00:02.000Z');
    await redis.sadd(k.legacyInstallationsAll(), b);
    expect((await store.page(undefined, 10)).items.map((i) => i.id)).toEqual([a, b]);
    expect(await redis.exists(k.legacyInstallationsAll())).toBe(0);
  });

  it('a location set of ids => moved into the location sorted set (listpack-encoded) by the first read, kept there, and listed once', async () => {
    const k = installationKeys(keys);
    const a = await plantRecord('home', '2026-01-01T00:00:01.000Z');
    const b = await plantRecord('home', '2026-01-01T00:00:02.000Z');
    await redis.sadd(k.legacyInstallationsAtLocation('home'), a, b);
    // b was indexed by a newer process already.
    await redis.zadd(k.installationsAtLocation('home'), 0, b);
    expect((await store.list({ locationId: 'home' })).map((i) => i.id)).toEqual([a, b]);
    expect(await redis.exists(k.legacyInstallationsAtLocation('home'))).toBe(0);
    expect((await redis.zrange(k.installationsAtLocation('home'), '0', '-1')).sort()).toEqual([a, b].sort());
    expect(await redis.object('ENCODING', k.installationsAtLocation('home'))).toBe('listpack');
    // An older process still running adds to its set: the next read moves that one too.
    const c = await plantRecord('home', '2026-01-01T00:00:03.000Z');
    await redis.sadd(k.legacyInstallationsAtLocation('home'), c);
    expect((await store.page(undefined, 10, { locationId: 'home' })).items.map((i) => i.id)).toEqual([a, b, c]);
    expect(await redis.exists(k.legacyInstallationsAtLocation('home'))).toBe(0);
  });

  it('delete before any read moved it => gone from the old sets too (no ghost moved later); create writes only the sorted sets', async () => {
    const k = installationKeys(keys);
    const created = await store.create(input(keys, { locationId: 'home' }));
    if (!created.created) throw new Error('not created');
    const inst = created.installation;
    expect(await redis.exists(k.legacyInstallationsAll(), k.legacyInstallationsAtLocation('home'))).toBe(0);
    expect(await redis.zscore(k.installationsAtLocation('home'), inst.id)).toBe('0');
    // As if an older process had listed it in its sets as well.
    await redis.sadd(k.legacyInstallationsAll(), inst.id);
    await redis.sadd(k.legacyInstallationsAtLocation('home'), inst.id);
    expect(await store.delete(inst)).toBe(true);
    expect(await redis.exists(k.legacyInstallationsAll(), k.legacyInstallationsAtLocation('home'), k.installationsAtLocation('home'), k.installationsIndex())).toBe(0);
    expect(await store.list()).toEqual([]);
    expect(await store.list({ locationId: 'home' })).toEqual([]);
  });
});

describe('on a real Redis Cluster (3 primaries + 3 replicas)', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let keys: Keys;
  let store: InstallationStore;
  beforeAll(async () => {
    cluster = await startCluster();
    client = cluster.client();
    keys = createKeys('sm-test');
    // The store is written against ioredis' command interface, which a Cluster client shares.
    store = new InstallationStore(client as unknown as Redis, keys, tokenKeys(keys).installationTokens);
  }, 90_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('create, list, page, status changes and delete work with records spread over every primary (no CROSSSLOT)', async () => {
    const made = [];
    for (let i = 0; i < 24; i++) {
      const result = await store.create(input(keys, { locationId: i < 12 ? 'home-a' : `home-${i}`, singleInstance: false }));
      if (!result.created) throw new Error('not created');
      made.push(result.installation);
    }
    const sizes = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    expect(sizes.every((n) => n > 0)).toBe(true);
    expect((await store.list()).length).toBe(24);
    expect((await store.list({ locationId: 'home-a' })).length).toBe(12);
    const first = await store.page(undefined, 10);
    const second = await store.page(first.next ?? undefined, 100);
    expect([...first.items, ...second.items].map((i) => i.id).sort()).toEqual(made.map((i) => i.id).sort());
    expect(await store.changeStatus(made[0]!.id, 'linked', now)).toBe(true);
    expect(await store.setStatus(made[1]!.id, 'reauth_required', now)).toBe(true);
    for (const inst of made) expect(await store.delete(inst)).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it('singleInstance on the Cluster: the second create at a location is refused with the first one\'s id', async () => {
    const a = input(keys, { locationId: 'cluster-home' });
    const b = input(keys, { locationId: 'cluster-home' });
    expect((await store.create(a)).created).toBe(true);
    expect(await store.create(b)).toEqual({ created: false, existingId: a.id });
  });
});

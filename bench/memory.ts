import { FakeEcobee } from '../connectors/ecobee/fake/server';
import { POLL_JOB_OPTIONS, pollSchedulerId } from '../src/sync/poll-queue';
import type { Redis } from 'ioredis';
import type { Services } from '../src/runtime/services';
import { deviceKeys } from '../src/platform/device-keys';
import { eventKeys } from '../src/platform/event-keys';
import { installationKeys } from '../src/platform/installation-keys';
import { tokenKeys } from '../src/cloud/token-keys';
import { encrypt } from '../src/runtime/secrets/crypto';
import { benchEnv, QUICK, servicesFrom, size } from './lib/env';
import { benchRedis, usedMemory } from './lib/redis';
import { seedCopies, seedTemplate } from './lib/seed';
import { fmt, table, type BenchResult } from './lib/stats';

interface Measured {
  perInstallation: number;
  /**
   * The partition event streams' bytes ÷ N: the installations' event history, which
   * EVENT_RETENTION caps for the whole fleet (so this share falls as the fleet grows past it).
   */
  eventHistory: number;
  /** MEMORY USAGE of one installation's keys by family (the events stream's included). */
  byKey: Map<string, number>;
}

/**
 * The poll schedule as it was written before issue 16.4: a BullMQ job scheduler (full job data,
 * removeOn* in the options) with its next delayed job, so both forms are measured side by side in
 * one run. Today's workers still run such schedules until the start-up repair migrates them.
 */
function earlierSchedule(services: Services) {
  return (id: string) =>
    services.scheduler.queue.legacy
      .upsertJobScheduler(
        pollSchedulerId(id),
        { every: 180_000 },
        { name: 'poll', data: { installationId: id, reason: 'scheduled' as const }, opts: POLL_JOB_OPTIONS },
      )
      .then(() => undefined);
}

/**
 * Each installation's devices, cursor, selection and record in the forms stored before issue 16.4:
 * a hash of one field per device (externalId and label in each value), the cursor in the sync-state
 * hash however long, the selection a set however short, the record with its own id. What an
 * installation synced before that change still holds.
 */
async function earlierDevices(services: Services, client: Redis, ids: readonly string[]): Promise<void> {
  const k = deviceKeys(services.keys);
  const record = installationKeys(services.keys).installation;
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    const [lists, cursors, selections] = await Promise.all([
      Promise.all(batch.map((id) => services.devices.list(id))),
      Promise.all(batch.map((id) => services.devices.getCursor(id))),
      Promise.all(batch.map((id) => services.devices.selected(id))),
    ]);
    const pipeline = client.pipeline();
    batch.forEach((id, j) => {
      pipeline.del(k.devices(id), k.cursor(id));
      for (const d of lists[j] ?? []) pipeline.hset(k.legacyDevices(id), d.externalId, JSON.stringify(d));
      const cursor = cursors[j];
      if (cursor !== undefined) pipeline.hset(k.syncState(id), 'cursor', cursor);
      const selected = [...(selections[j] ?? [])];
      pipeline.hdel(k.syncState(id), 'selected');
      if (selected.length > 0) pipeline.sadd(k.selection(id), ...selected);
      pipeline.hset(record(id), 'id', id);
    });
    await pipeline.exec();
  }
}

/**
 * Each installation's events also written to a stream of its own, as every event was before issue
 * 16.4 (layout 2: `…:inst:<id>:events`, MAXLEN ~ 10,000, beside the partition's stream).
 */
async function earlierEvents(services: Services, client: Redis, ids: readonly string[]): Promise<void> {
  const keys = eventKeys(services.keys);
  const seeded = new Set(ids);
  for (const k of services.keys.partitions.all()) {
    const entries = await client.xrange(keys.partitionEvents(k), '-', '+');
    for (let i = 0; i < entries.length; i += 500) {
      const pipeline = client.pipeline();
      for (const [, flat] of entries.slice(i, i + 500)) {
        const id = flat[flat.indexOf('installationId') + 1] ?? '';
        if (seeded.has(id)) pipeline.xadd(keys.legacyInstallationEvents(id), 'MAXLEN', '~', 10_000, '*', ...flat);
      }
      await pipeline.exec();
    }
  }
}

/**
 * Each installation's tokens and index entries in the forms written before issue 16.4's second
 * round: the token set sealed as v2 with its full field names, the id in the plain fleet set, its
 * location's index a set of ids. Today's code still reads them (and moves the sets on read).
 */
async function earlierTokensAndIndexes(services: Services, client: Redis, ids: readonly string[]): Promise<void> {
  const tokens = tokenKeys(services.keys).installationTokens;
  const k = installationKeys(services.keys);
  const ring = services.config.secretKeys;
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    const [sets, installations] = await Promise.all([Promise.all(batch.map((id) => services.tokens.get(id))), Promise.all(batch.map((id) => services.installations.get(id)))]);
    const pipeline = client.pipeline();
    batch.forEach((id, j) => {
      const set = sets[j]?.tokens;
      const installation = installations[j];
      if (set) pipeline.set(tokens(id), `v2.${ring.primaryId}.${encrypt(ring.primaryKey, JSON.stringify(set), id).slice('v1.'.length)}`);
      pipeline.sadd(k.legacyInstallationsAll(), id);
      if (installation) {
        pipeline.zrem(k.installationsAtLocation(installation.locationId), id);
        pipeline.sadd(k.legacyInstallationsAtLocation(installation.locationId), id);
      }
    });
    await pipeline.exec();
  }
}

/**
 * Redis memory per linked installation: N ecobee installations seeded as `fanout` seeds them (the
 * records, tokens, three thermostats with their events and cursor, a poll schedule), once with the
 * schedule (a BullMQ job scheduler), the devices (and cursor and record), the tokens, the
 * installation indexes and the events written as before issue 16.4 (a stream per installation
 * beside the partition's) and once as today (a schedule entry), each on its own fresh
 * redis-server. The INFO used_memory delta over seeding ÷ N, and the same without the
 * installation's own events stream, with the bytes of one installation's keys by family.
 * `npx tsx bench/memory-breakdown.ts` prints more detail.
 */
export async function memoryBench(): Promise<BenchResult> {
  const n = size('BENCH_MEMORY_N', 5_000, 1_000);
  const before = await measure(n, 'before');
  const after = await measure(n, 'after');
  const events = (m: Measured) => [...m.byKey].find(([name]) => name === 'inst:{id}:events')?.[1] ?? 0;
  const kib = (b: number) => fmt(b / 1024, 2);
  const keys = [...new Set([...before.byKey.keys(), ...after.byKey.keys()])].sort();
  console.log(`\n## Redis memory per linked installation (${n.toLocaleString('en-US')} installations, each side on its own redis-server${QUICK ? '; quick' : ''})`);
  console.log(
    table(
      ['', 'KiB per installation', 'without its events stream', 'without any event history'],
      [
        ['before (schedule, devices, tokens, indexes and events as written before issue 16.4)', kib(before.perInstallation), kib(before.perInstallation - events(before)), kib(before.perInstallation - events(before) - before.eventHistory)],
        ['after', kib(after.perInstallation), kib(after.perInstallation - events(after)), kib(after.perInstallation - after.eventHistory)],
      ],
    ),
  );
  console.log(table(['key of one installation (MEMORY USAGE)', 'before B', 'after B'], keys.map((k) => [k, String(before.byKey.get(k) ?? '-'), String(after.byKey.get(k) ?? '-')])));
  console.log('(the rest of each figure is the installation\'s share of queue-wide sorted sets, indexes and allocator overhead)');
  console.log(
    `event history: the partition streams hold ${kib(after.eventHistory)} KiB per installation here (every seeded event kept); ` +
      'EVENT_RETENTION (100,000 events by default) caps them for the whole fleet, so this share shrinks as the fleet grows',
  );
  return {
    name: 'memory per installation',
    figures: {
      N: String(n),
      'KiB before → after': `${kib(before.perInstallation)} → ${kib(after.perInstallation)}`,
      'without events stream': `${kib(before.perInstallation - events(before))} → ${kib(after.perInstallation - events(after))}`,
      'without any event history': `${kib(before.perInstallation - events(before) - before.eventHistory)} → ${kib(after.perInstallation - after.eventHistory)}`,
    },
    ratio: `${(after.perInstallation / before.perInstallation).toFixed(2)}× of before`,
  };
}

async function measure(n: number, side: 'before' | 'after'): Promise<Measured> {
  const redis = await benchRedis();
  const fake = await FakeEcobee.start({ accessTokenTtlS: 24 * 3600 });
  const env = benchEnv({ redisUrl: redis.url, keyPrefix: 'bench-memory', connectors: { ecobee: { url: fake.url, clientId: fake.clientId } } });
  const host = await servicesFrom(env);
  const { services } = host;
  try {
    const template = await seedTemplate(services, fake);
    const start = await usedMemory(redis.client);
    const ids = await seedCopies(services, fake, template, n, side === 'before' ? earlierSchedule(services) : undefined);
    if (side === 'before') {
      await earlierDevices(services, redis.client, ids);
      await earlierTokensAndIndexes(services, redis.client, ids);
      await earlierEvents(services, redis.client, ids);
    }
    const perInstallation = ((await usedMemory(redis.client)) - start) / n;
    const sample = ids[0] ?? template.first;
    const prefix = `${services.config.keyPrefix}:`;
    const sid = pollSchedulerId(sample);
    const byKey = new Map<string, number>();
    const keys = [...(await redis.client.keys(`${prefix}*${sample}*`)), ...(await redis.client.keys(`${services.keys.bullPrefix}:poll:repeat:${sid}*`))];
    for (const key of keys) {
      // Without the partition's tag (each side's sample lands in its own partition), so the rows line up.
      const name = key.replace(prefix, '').replace(/^\{[^}]*:p\d+\}:/, '').replace(sample, '{id}').replace(sid, 'poll-{tag}').replace(/:\d{13}$/, ':{next}');
      byKey.set(name, Number(await redis.client.memory('USAGE', key, 'SAMPLES', '0')));
    }
    // Today's schedule is an entry in its partition's set: its share is the sets' bytes over N.
    let scheduleBytes = 0;
    for (const key of await redis.client.keys(`${prefix}*:poll-due:*`)) scheduleBytes += Number(await redis.client.memory('USAGE', key, 'SAMPLES', '0'));
    if (scheduleBytes > 0) byKey.set('poll schedule entry (share of {p<k>}:poll-due:ecobee)', Math.round(scheduleBytes / n));
    let history = 0;
    for (const k of services.keys.partitions.all()) history += Number(await redis.client.memory('USAGE', `${services.keys.partitions.space(k)}:events`, 'SAMPLES', '0'));
    return { perInstallation, eventHistory: history / n, byKey };
  } finally {
    await host.close();
    await fake.stop();
    await redis.client.quit().catch(() => undefined);
    await redis.stop();
  }
}

/**
 * `npx tsx bench/memory-breakdown.ts [N]`: where a linked installation's Redis memory goes. Seeds N
 * (default 2,000) installations as the fanout bench does (records, tokens, 3 thermostats with their
 * events and cursor, a poll schedule), on a private redis-server, then prints the used_memory
 * delta per installation and MEMORY USAGE of one installation's keys by family, including the
 * BullMQ records named by a hash of its id (a job scheduler and its next delayed job, if the
 * schedule was written in the form before issue 16.4), and its share of the poll schedule sets
 * (one entry per installation in its partition's set). What the keys do not account for is its
 * share of the queue-wide sorted sets and indexes.
 * BENCH_TOPOLOGY=cluster: on a Redis Cluster (3 primaries + 3 replicas), memory summed over the primaries.
 */
import { FakeEcobee } from '../connectors/ecobee/fake/server';
import { pollSchedulerId } from '../src/sync/poll-queue';
import { benchEnv, servicesFrom } from './lib/env';
import { benchBackend } from './lib/backend';
import { seedCopies, seedTemplate } from './lib/seed';
import { fmt, table } from './lib/stats';

const n = Number(process.argv[2] ?? '2000');
const redis = await benchBackend(process.env['BENCH_TOPOLOGY'] === 'cluster' ? 'cluster' : 'single');
// Redis 7 preallocates a stream's first listpack node at min(4096, stream-node-max-bytes) bytes:
// set BENCH_STREAM_NODE_MAX_BYTES to see what a smaller node does to the per-installation stream.
const nodeBytes = process.env['BENCH_STREAM_NODE_MAX_BYTES'];
if (nodeBytes) for (const node of redis.primaries()) await node.config('SET', 'stream-node-max-bytes', nodeBytes);
// Hashes whose longest value is over hash-max-listpack-value (64 B by default) are hash tables:
// set BENCH_HASH_MAX_LISTPACK_VALUE to see what the compact encoding would save.
const listpackValue = process.env['BENCH_HASH_MAX_LISTPACK_VALUE'];
if (listpackValue) for (const node of redis.primaries()) await node.config('SET', 'hash-max-listpack-value', listpackValue);
const fake = await FakeEcobee.start({ accessTokenTtlS: 24 * 3600 });
const env = benchEnv({ redis: redis.env, keyPrefix: 'bench-memory', connectors: { ecobee: { url: fake.url, clientId: fake.clientId } } });
const host = await servicesFrom(env);
const { services } = host;
try {
  const template = await seedTemplate(services, fake);
  const first = template.first;
  const before = await redis.usedMemory();
  const ids = await seedCopies(services, fake, template, n);
  const perInstallation = ((await redis.usedMemory()) - before) / n;

  const sample = ids[0] ?? first;
  const prefix = `${services.config.keyPrefix}:`;
  const sid = pollSchedulerId(sample);
  // Its location's own keys are account-wide (no hash tag), one location per installation here.
  const location = `location:${encodeURIComponent((await services.installations.get(sample))?.locationId ?? '')}:`;
  const keys = [
    ...(await redis.keys(`${prefix}*${sample}*`)),
    ...(await redis.keys(`${prefix}${location}*`)),
    ...(await redis.keys(`${services.keys.bullPrefix}:poll:repeat:${sid}*`)),
  ].sort();
  const rows: string[][] = [];
  let total = 0;
  for (const key of keys) {
    const bytes = Number(await redis.client.memory('USAGE', key, 'SAMPLES', '0'));
    total += bytes;
    const type = await redis.client.type(key);
    rows.push([key.replace(prefix, '').replace(location, 'location:{loc}:').replace(sample, '{id}').replace(sid, 'poll-{tag}').replace(/:\d{13}$/, ':{next}'), type, String(bytes)]);
  }
  const node = (await (redis.primaries()[0] ?? redis.client).config('GET', 'stream-node-max-bytes')) as string[];
  console.log(`\n## Redis memory per linked installation${redis.kind === 'cluster' ? ' on a Redis Cluster (summed over its 3 primaries)' : ''} (${n} seeded; INFO used_memory delta / N; stream-node-max-bytes ${node[1] ?? '?'})`);
  console.log(`${fmt(perInstallation / 1024, 2)} KiB per installation`);
  console.log(table(['key (one installation)', 'type', 'MEMORY USAGE B'], rows));
  // The schedule is an entry in its partition's set: its share is the sets' bytes over the fleet.
  const scheduleSets = await redis.keys(`${prefix}*:poll-due:*`);
  let scheduleBytes = 0;
  for (const key of scheduleSets) scheduleBytes += Number(await redis.client.memory('USAGE', key, 'SAMPLES', '0'));
  console.log(`poll schedule: ${fmt(scheduleBytes / n, 0)} B per installation (${scheduleSets.length} partition sets, ${fmt(scheduleBytes / 1024, 1)} KiB in all)`);
  total += scheduleBytes / n;
  console.log(`keys of one installation and its schedule entry: ${fmt(total, 0)} B; the rest (${fmt(perInstallation - total, 0)} B) is its share of queue-wide sorted sets, indexes and allocator overhead`);
  const shared = [...['poll:delayed', 'poll:repeat', 'poll:events'].map((k) => `${services.keys.bullPrefix}:${k}`), `${prefix}index:installations`];
  // The partition event streams (every installation's events, EVENT_RETENTION in all), summed.
  const partitionStreams = services.keys.partitions.all().map((k) => `${services.keys.partitions.space(k)}:events`);
  const others = (await redis.keys(`${prefix}*`)).filter((k) => !k.includes(':inst:') && !k.includes(':bull:poll:repeat:') && !partitionStreams.includes(k) && !shared.includes(k));
  for (const key of [...shared, ...others].slice(0, 40)) {
    const bytes = Number(await redis.client.memory('USAGE', key, 'SAMPLES', '0'));
    if (bytes > 10_000 && !key.includes(':poll-due:')) console.log(`  shared ${key.replace(prefix, '')}: ${fmt(bytes / 1024, 1)} KiB (${fmt(bytes / n, 0)} B per installation)`);
  }
  let streamBytes = 0;
  let streamEntries = 0;
  for (const key of partitionStreams) {
    streamBytes += Number((await redis.client.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
    streamEntries += await redis.client.xlen(key);
  }
  console.log(
    `  shared partition event streams (${partitionStreams.length}, ${streamEntries.toLocaleString('en-US')} events; EVENT_RETENTION ${services.config.eventRetention.toLocaleString('en-US')} caps them): ` +
      `${fmt(streamBytes / 1024, 1)} KiB (${fmt(streamBytes / n, 0)} B per installation, ${fmt(streamBytes / Math.max(1, streamEntries), 0)} B per event)`,
  );
} finally {
  await host.close();
  await fake.stop();
  await redis.stop();
}

import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisConnections } from '../../src/runtime/redis/connections';
import { isRedisUnavailable } from '../../src/runtime/redis/redis';
import { startCluster, type RedisCluster } from '../helpers/cluster';

/**
 * The connection factory on a real Redis Cluster (3 primaries + 3 replicas, test/helpers/cluster.ts):
 * Cluster clients follow the slot map, keys sharing a hash tag can be used in one MULTI or script,
 * keys without one cannot (what the partitioned layout is for), and the request path fails fast
 * when the cluster is gone instead of queueing.
 */

let cluster: RedisCluster;
let connections: RedisConnections;
const clients: Cluster[] = [];

function client(role: 'request' | 'tool'): Cluster {
  const c = connections.createCluster(role);
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

async function ready(c: Cluster): Promise<void> {
  if (c.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve());
    c.once('end', () => reject(new Error('cluster client ended before ready')));
  });
}

beforeAll(async () => {
  cluster = await startCluster();
  connections = new RedisConnections(cluster.topology, { commandTimeoutMs: 1_000 });
}, 90_000);
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

it('the test cluster has three primaries, each with one replica', async () => {
  expect((await cluster.primaryPorts()).length).toBe(3);
  expect(cluster.nodes.length).toBe(6);
  expect(connections.describe()).toMatch(/^cluster (127\.0\.0\.1:\d+,){5}127\.0\.0\.1:\d+$/);
});

it('create() on a Cluster topology gives a Cluster client (isCluster); createCluster refuses a single server', () => {
  const made = connections.create('request');
  made.on('error', () => undefined);
  expect(made.isCluster).toBe(true);
  made.disconnect();
  const single = new RedisConnections({ kind: 'single', url: 'redis://127.0.0.1:1' }, { commandTimeoutMs: 1_000 });
  expect(() => single.createCluster('request')).toThrow(/REDIS_CLUSTER_NODES/);
});

it('a request client follows the slot map: keys on every primary are written and read back', async () => {
  const redis = client('request');
  await ready(redis);
  const keys = Array.from({ length: 30 }, (_, i) => `sm-test:spread:${i}`);
  for (const key of keys) await redis.set(key, key);
  for (const key of keys) expect(await redis.get(key)).toBe(key);
  // The keys really spread: every primary holds some of them (a node answers only for its own slots).
  const sizes = await Promise.all(redis.nodes('master').map((node) => node.dbsize()));
  expect(sizes.length).toBe(3);
  expect(sizes.every((n) => n > 0)).toBe(true);
});

it('one MULTI or script over keys that share a hash tag succeeds; over keys that do not, the cluster refuses it (CROSSSLOT)', async () => {
  const redis = client('request');
  await ready(redis);
  const tagged = await redis.multi().set('{sm-test:p3}:a', '1').set('{sm-test:p3}:b', '2').exec();
  expect(tagged?.map(([err]) => err)).toEqual([null, null]);
  expect(await redis.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, '{sm-test:p3}:a', '{sm-test:p3}:b')).toEqual(['1', '2']);
  await expect(redis.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, 'sm-test:inst:a', 'sm-test:inst:b-other')).rejects.toThrow(/CROSSSLOT/);
});

it('with every node gone, a request client refuses commands at once (no offline queue) with an error the host renders as 503', async () => {
  const redis = client('request');
  await ready(redis);
  await Promise.all(cluster.nodes.map((n) => n.kill()));
  const started = Date.now();
  const error = await redis.get('sm-test:any').then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(Error);
  expect(isRedisUnavailable(error)).toBe(true);
  // Bounded by the command timeout and the bounded redirections, not ioredis' 15 s default.
  expect(Date.now() - started).toBeLessThan(5_000);
}, 20_000);

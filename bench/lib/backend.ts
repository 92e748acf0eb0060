import type { Cluster, Redis } from 'ioredis';
import { startCluster } from '../../test/helpers/cluster';
import { toolClient, topologyEnv } from '../../test/helpers/redis-client';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';
import { RedisConnections } from '../../src/runtime/redis/connections';
import { info } from './redis';

/**
 * Where a bench's data lives, as the app is configured for it: its own redis-server, or its own
 * Redis Cluster (3 primaries + 3 replicas, as the topology tests start it). Memory, traffic and key
 * listings are summed over the primaries, which hold the data; the replicas' copies are not counted,
 * as a single server's backups are not.
 */
export interface BenchBackend {
  kind: 'single' | 'cluster';
  /** REDIS_URL or REDIS_CLUSTER_NODES, for benchEnv and child processes. */
  env: Record<string, string>;
  /** A tool client; on a Cluster, commands go to the node of their key. */
  client: Redis;
  /** used_memory summed over the primaries, less replication and AOF buffers (see usedMemoryOf). */
  usedMemory(): Promise<number>;
  /** total_net_input_bytes + total_net_output_bytes (replication traffic is counted apart by Redis 7). */
  netBytes(): Promise<number>;
  /** CPU seconds (user + sys) each primary has used so far, in primaries() order: where the load lands. */
  cpuSeconds(): Promise<number[]>;
  /** The server, or every primary of the Cluster (for INFO, CONFIG SET). */
  primaries(): Redis[];
  /** KEYS `pattern` on every primary. Benches only: KEYS blocks the server. */
  keys(pattern: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** `appendOnly`: a single server persisting as the Cluster's nodes do (AOF), for side-by-side runs. */
export async function benchBackend(kind: 'single' | 'cluster', options: { appendOnly?: boolean } = {}): Promise<BenchBackend> {
  return kind === 'single' ? single(options.appendOnly ?? false) : cluster();
}

async function single(appendOnly: boolean): Promise<BenchBackend> {
  const started = await startPrivateRedis({ appendOnly });
  const redis = { ...started, client: toolClient(started.url) };
  return {
    kind: 'single',
    env: { REDIS_URL: redis.url },
    client: redis.client,
    primaries: () => [redis.client],
    usedMemory: () => usedMemoryOf([redis.client]),
    netBytes: () => netBytesOf([redis.client]),
    cpuSeconds: () => cpuSecondsOf([redis.client]),
    keys: (pattern) => redis.client.keys(pattern),
    async stop() {
      await redis.client.quit().catch(() => undefined);
      await redis.stop();
    },
  };
}

async function cluster(): Promise<BenchBackend> {
  const started = await startCluster();
  let client: Cluster | undefined;
  try {
    client = new RedisConnections(started.topology, { commandTimeoutMs: 10_000 }).createCluster('tool');
    client.on('error', () => undefined);
    await client.ping();
  } catch (err) {
    client?.disconnect();
    await started.stop();
    throw err;
  }
  const primaries = (): Redis[] => (client as Cluster).nodes('master');
  return {
    kind: 'cluster',
    env: topologyEnv(started.topology),
    client: client as unknown as Redis,
    primaries,
    usedMemory: () => usedMemoryOf(primaries()),
    netBytes: () => netBytesOf(primaries()),
    cpuSeconds: () => cpuSecondsOf(primaries()),
    keys: async (pattern) => (await Promise.all(primaries().map((node) => node.keys(pattern)))).flat(),
    async stop() {
      client?.disconnect();
      await started.stop();
    },
  };
}

/**
 * used_memory without the replication backlog, the replicas' output buffers and the AOF buffer: in
 * Redis 7 the backlog is allocated as writes flow (up to 1 MB per primary), which a seeding of a few
 * thousand installations would otherwise count as theirs (~15 KiB each at 200 on a Cluster).
 */
async function usedMemoryOf(nodes: readonly Redis[]): Promise<number> {
  const each = await Promise.all(
    nodes.map(async (node) => {
      const m = await info(node, 'memory');
      const field = (name: string) => Number(m.get(name) ?? 0);
      return field('used_memory') - field('mem_replication_backlog') - field('mem_clients_slaves') - field('mem_aof_buffer');
    }),
  );
  return each.reduce((a, b) => a + b, 0);
}

async function netBytesOf(nodes: readonly Redis[]): Promise<number> {
  const each = await Promise.all(
    nodes.map(async (node) => {
      const stats = await info(node, 'stats');
      return Number(stats.get('total_net_input_bytes') ?? 0) + Number(stats.get('total_net_output_bytes') ?? 0);
    }),
  );
  return each.reduce((a, b) => a + b, 0);
}

async function cpuSecondsOf(nodes: readonly Redis[]): Promise<number[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const cpu = await info(node, 'cpu');
      return Number(cpu.get('used_cpu_user') ?? 0) + Number(cpu.get('used_cpu_sys') ?? 0);
    }),
  );
}

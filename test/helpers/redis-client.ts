/**
 * Redis clients for tests and benchmarks, from the one connection factory
 * (src/runtime/redis/connections.ts), so they reach a Sentinel group as the host does. No vitest
 * import: child processes and benchmarks use it too.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../../src/runtime/config';
import { RedisConnections } from '../../src/runtime/redis/connections';
import type { RedisTopology } from '../../src/runtime/redis/topology';

/** The configured topology; a config without one (no REDIS_* set) is a test's mistake. */
export function topologyOf(config: Config): RedisTopology {
  if (!config.redisTopology) throw new Error('test config has no Redis: set REDIS_URL or REDIS_SENTINELS');
  return config.redisTopology;
}

export function connectionsFor(config: Config): RedisConnections {
  return new RedisConnections(topologyOf(config), { commandTimeoutMs: config.redisCommandTimeoutMs });
}

/**
 * A client that queues commands until connected (usable at once), for inspecting or preparing
 * data. `target` is a redis:// URL or a topology.
 */
export function toolClient(target: string | RedisTopology): Redis {
  const topology: RedisTopology = typeof target === 'string' ? { kind: 'single', url: target } : target;
  const client = new RedisConnections(topology, { commandTimeoutMs: 5_000 }).create('tool');
  client.on('error', () => undefined);
  return client;
}

/** The environment variables that name `topology`, for a child process. */
export function topologyEnv(topology: RedisTopology): Record<string, string> {
  switch (topology.kind) {
    case 'single':
      return { REDIS_URL: topology.url };
    case 'sentinel':
      return {
        REDIS_SENTINELS: topology.sentinels.map((n) => `${n.host}:${n.port}`).join(','),
        REDIS_SENTINEL_NAME: topology.name,
        ...(topology.sentinelPassword !== undefined ? { REDIS_SENTINEL_PASSWORD: topology.sentinelPassword } : {}),
        ...(topology.username !== undefined ? { REDIS_USERNAME: topology.username } : {}),
        ...(topology.password !== undefined ? { REDIS_PASSWORD: topology.password } : {}),
      };
    case 'cluster':
      return { REDIS_CLUSTER_NODES: topology.nodes.map((n) => `${n.host}:${n.port}`).join(',') };
  }
}

/**
 * A Redis deployment a failover fault test can break, seen only through what the test needs: the
 * topology the app is configured with, "SIGKILL the primary that serves this key", "when was a
 * replica promoted", and "bring the dead one back". The same scenario body then runs on Sentinel
 * today and on a Cluster (the primary owning the key's slot) once its key layout exists. No vitest
 * import.
 */
import type { RedisTopology } from '../../src/runtime/redis/topology';
import { startCluster } from './cluster';
import { toolClient } from './redis-client';
import { startSentinelGroup, until, type RedisProcess } from './sentinel';

export interface FailoverTopology {
  /** What REDIS_* names for the host and the workers. */
  topology: RedisTopology;
  /**
   * The primary that serves `key` now (a key the burst writes: on a Cluster the owner of its
   * slot; Sentinel has one primary), looked up ahead so the kill itself costs no round trip.
   * Its kill() SIGKILLs it and resolves once the process is gone; once per topology.
   */
  primaryServing(key: string): Promise<{ port: number; kill(): Promise<void> }>;
  /**
   * Resolves with the moment (Date.now()) a replica was seen serving as the new primary of the
   * killed one's data. Polled every 100 ms, so at most that much later than the promotion itself.
   */
  waitForPromotion(timeoutMs: number): Promise<number>;
  /** Starts the killed server again on its own port and data (it comes back believing it is a primary). */
  restartKilled(): Promise<void>;
  /** Resolves once the restarted server serves as a replica (no write can land on it). */
  waitKilledDemoted(timeoutMs: number): Promise<void>;
  /** Every data server's port (primaries and replicas), for reports on where the data ended up. */
  dataPorts(): number[];
  stop(): Promise<void>;
}

/** Which deployment a scenario runs on. */
export type FailoverTopologyKind = 'sentinel' | 'cluster';

export interface FailoverTopologyOptions {
  /**
   * The data servers refuse writes while fewer than this many replicas are connected
   * (`min-replicas-to-write`, with `min-replicas-max-lag 10`): what README asks of a Sentinel
   * deployment that acknowledges on the primary alone (REDIS_ACK_REPLICAS=0). 0: Redis's default.
   */
  minReplicasToWrite?: number;
  /** Cluster only: `cluster-node-timeout`, after which a silent primary is suspected (default 1000 ms). */
  clusterNodeTimeoutMs?: number;
}

export async function startFailoverTopology(kind: FailoverTopologyKind, options: FailoverTopologyOptions = {}): Promise<FailoverTopology> {
  switch (kind) {
    case 'sentinel':
      return sentinelFailover(options);
    case 'cluster':
      return clusterFailover(options);
  }
}

/** A Sentinel group (1 primary, 2 replicas, 3 sentinels); its one primary serves every key. */
async function sentinelFailover(options: FailoverTopologyOptions): Promise<FailoverTopology> {
  const min = options.minReplicasToWrite ?? 0;
  const group = await startSentinelGroup(min > 0 ? { dataArgs: ['--min-replicas-to-write', String(min), '--min-replicas-max-lag', '10'] } : {});
  let killed: RedisProcess | undefined;
  const isKilled = (): RedisProcess => {
    if (!killed) throw new Error('no primary was killed yet');
    return killed;
  };
  return {
    topology: group.topology,
    async primaryServing() {
      const port = await group.primaryPort();
      const primary = group.servers.find((s) => s.port === port);
      if (!primary) throw new Error(`the sentinels name ${port}, which is not one of the group's servers`);
      return {
        port,
        kill: async () => {
          if (killed) throw new Error('this topology already lost its primary once');
          killed = primary;
          await primary.kill();
        },
      };
    },
    async waitForPromotion(timeoutMs) {
      await group.waitForFailover(isKilled().port, timeoutMs);
      return Date.now();
    },
    restartKilled: () => isKilled().restart(),
    async waitKilledDemoted(timeoutMs) {
      const port = isKilled().port;
      const deadline = Date.now() + timeoutMs;
      // The sentinels must go on naming another primary, and the restarted server must have been
      // told to follow it: until then a client that reached it could still write there.
      while ((await group.primaryPort().catch(() => port)) === port || (await role(port)) !== 'slave') {
        if (Date.now() > deadline) throw new Error(`the restarted server ${port} was not demoted to a replica within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    dataPorts: () => group.servers.map((s) => s.port),
    stop: () => group.stop(),
  };
}

/**
 * A Redis Cluster (3 primaries, 1 replica each); the primary to kill is the one owning the key's
 * slot, and the promotion is its own replica answering as a primary.
 */
async function clusterFailover(options: FailoverTopologyOptions): Promise<FailoverTopology> {
  const min = options.minReplicasToWrite ?? 0;
  const cluster = await startCluster({
    nodeTimeoutMs: options.clusterNodeTimeoutMs ?? 1_000,
    ...(min > 0 ? { dataArgs: ['--min-replicas-to-write', String(min), '--min-replicas-max-lag', '10'] } : {}),
  });
  try {
    // A replica shows up in the slot map once it has synced with its primary, a moment after the
    // cluster reports itself ok; the kill must find one ready to take over, and cost no wait.
    await until(async () => ((await slotMapCovered(cluster.nodes)) ? true : undefined), 'every primary to have a replica in the slot map', 30_000);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  let killed: { node: RedisProcess; replicas: number[] } | undefined;
  const isKilled = (): { node: RedisProcess; replicas: number[] } => {
    if (!killed) throw new Error('no primary was killed yet');
    return killed;
  };
  return {
    topology: cluster.topology,
    async primaryServing(key) {
      const owner = await slotOwner(cluster.nodes, key);
      const { primary, replicas } = owner;
      const node = cluster.nodes.find((n) => n.port === primary);
      if (!node) throw new Error(`the cluster names ${primary} for ${key}, which is not one of its nodes`);
      if (replicas.length === 0) throw new Error(`the primary ${primary} owning ${key} has no replica to promote`);
      return {
        port: primary,
        kill: async () => {
          if (killed) throw new Error('this topology already lost its primary once');
          killed = { node, replicas };
          await node.kill();
        },
      };
    },
    async waitForPromotion(timeoutMs) {
      const { replicas } = isKilled();
      const deadline = Date.now() + timeoutMs;
      while (!(await Promise.all(replicas.map(role))).includes('master')) {
        if (Date.now() > deadline) throw new Error(`no replica of the killed primary (${replicas.join(', ')}) was promoted within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return Date.now();
    },
    restartKilled: () => isKilled().node.restart(),
    async waitKilledDemoted(timeoutMs) {
      const port = isKilled().node.port;
      const deadline = Date.now() + timeoutMs;
      // The restarted node loads its old slots from nodes.conf and learns from the others' gossip
      // that a newer epoch owns them; only then does it follow the promoted replica.
      while ((await role(port)) !== 'slave') {
        if (Date.now() > deadline) throw new Error(`the restarted node ${port} was not demoted to a replica within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    dataPorts: () => cluster.nodes.map((n) => n.port),
    stop: () => cluster.stop(),
  };
}

/** Whether every slot range of the map has a replica listed. */
async function slotMapCovered(nodes: readonly RedisProcess[]): Promise<boolean> {
  const node = nodes[0];
  if (!node) return false;
  const client = toolClient(`redis://127.0.0.1:${node.port}`);
  try {
    const ranges = (await client.call('CLUSTER', 'SLOTS')) as unknown[][];
    return ranges.length > 0 && ranges.every((r) => r.length >= 4);
  } finally {
    client.disconnect();
  }
}

/** Which node owns `key`'s slot, and its replicas, as the first live node answering sees it. */
export async function slotOwner(nodes: readonly RedisProcess[], key: string): Promise<{ primary: number; replicas: number[] }> {
  for (const node of nodes) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) continue;
    const client = toolClient(`redis://127.0.0.1:${node.port}`);
    try {
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, ...[string, number, string][]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const [, , primary, ...replicas] = range ?? [];
      if (!primary) throw new Error(`slot ${slot} of ${key} has no owner`);
      return { primary: Number(primary[1]), replicas: replicas.map((r) => Number(r[1])) };
    } finally {
      client.disconnect();
    }
  }
  throw new Error('no live cluster node to ask for the slot map');
}

async function role(port: number): Promise<string | undefined> {
  const client = toolClient(`redis://127.0.0.1:${port}`);
  try {
    const info = await client.info('replication');
    return /^role:(\w+)/m.exec(info)?.[1];
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

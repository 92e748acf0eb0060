/**
 * A Redis deployment a failover fault test can break, seen only through what the test needs: the
 * topology the app is configured with, "SIGKILL the primary that serves this key", "when was a
 * replica promoted", and "bring the dead one back". The same scenario body then runs on Sentinel
 * today and on a Cluster (the primary owning the key's slot) once its key layout exists. No vitest
 * import.
 */
import type { RedisTopology } from '../../src/runtime/redis/topology';
import { toolClient } from './redis-client';
import { startSentinelGroup, type RedisProcess } from './sentinel';

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

/** Which deployment a scenario runs on; a Cluster implementation joins this list later. */
export type FailoverTopologyKind = 'sentinel';

export interface FailoverTopologyOptions {
  /**
   * The data servers refuse writes while fewer than this many replicas are connected
   * (`min-replicas-to-write`, with `min-replicas-max-lag 10`): what README asks of a Sentinel
   * deployment that acknowledges on the primary alone (REDIS_ACK_REPLICAS=0). 0: Redis's default.
   */
  minReplicasToWrite?: number;
}

export async function startFailoverTopology(kind: FailoverTopologyKind, options: FailoverTopologyOptions = {}): Promise<FailoverTopology> {
  switch (kind) {
    case 'sentinel':
      return sentinelFailover(options);
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

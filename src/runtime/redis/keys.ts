import { createPartitions, DEFAULT_PARTITION_COUNT, type Partitions } from './partitions';

/**
 * The namespace every Redis key lives under, so several deployments (or test runs) can share one
 * server, and the deployment's partitions (partitions.ts). Key names themselves are built by each
 * record family beside its repository (e.g. platform/installation-keys.ts, used only by
 * installation-store.ts). Keys that belong to one installation live in its partition's key space,
 * `<prefix>:{<prefix>:p<k>}:inst:<id>…`, so that one installation's keys share a Cluster hash slot,
 * and still contain `inst:<id>` so "no key names the installation" is checkable after uninstall.
 */
export interface Keys {
  readonly prefix: string;
  /**
   * Prefix handed to BullMQ for the queues that are not per installation (event-sink deliveries,
   * Web Services deliveries, token revocations), and the legacy single poll and webhook queues.
   */
  readonly bullPrefix: string;
  /**
   * Prefix handed to BullMQ for partition `k`'s poll and webhook queues:
   * `<prefix>:{<prefix>:p<k>}:bull`. It carries the partition's hash tag, so each queue's keys
   * share one slot (BullMQ's scripts stay in it) while the K queues spread over the shards. No
   * record family of ours uses `:bull` in the partition's key space.
   */
  partitionBullPrefix(k: number): string;
  readonly partitions: Partitions;
}

/**
 * `cluster`: BullMQ's scripts touch several keys of a queue at once, so on a Cluster the shared
 * prefix carries a hash tag (`<prefix>:{<prefix>:bull}`) and the keys of every queue under it share
 * one slot. A single server keeps `<prefix>:bull`, where its jobs already are. Poll and webhook
 * jobs go to their installation's partition queue (partitionBullPrefix) on every topology.
 */
export function createKeys(prefix: string, partitionCount: number = DEFAULT_PARTITION_COUNT, options: { cluster?: boolean } = {}): Keys {
  const bullPrefix = options.cluster ? `${prefix}:{${prefix}:bull}` : `${prefix}:bull`;
  const partitions = createPartitions(prefix, partitionCount);
  return { prefix, bullPrefix, partitionBullPrefix: (k) => `${partitions.space(k)}:bull`, partitions };
}

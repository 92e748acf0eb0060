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
  /** Prefix handed to BullMQ for its own keys. */
  readonly bullPrefix: string;
  readonly partitions: Partitions;
}

/**
 * `cluster`: BullMQ's scripts touch several keys of a queue at once, so on a Cluster its prefix
 * carries a hash tag (`<prefix>:{<prefix>:bull}`) and every queue's keys share one slot. (One
 * slot for all queues; a queue per partition would spread them, see the README.) A single server
 * keeps `<prefix>:bull`, where its jobs already are.
 */
export function createKeys(prefix: string, partitionCount: number = DEFAULT_PARTITION_COUNT, options: { cluster?: boolean } = {}): Keys {
  const bullPrefix = options.cluster ? `${prefix}:{${prefix}:bull}` : `${prefix}:bull`;
  return { prefix, bullPrefix, partitions: createPartitions(prefix, partitionCount) };
}

/**
 * Virtual partitions: every installation belongs to one of K partitions, derived from its id, and
 * every key its work touches carries the partition's hash tag `{<prefix>:p<k>}`. On a Redis
 * Cluster all keys with one tag hash to one slot, so a MULTI or script over one installation's
 * keys never spans slots, while K partitions spread the fleet over the shards. On a single server
 * or Sentinel the tag is only part of the name.
 *
 * K is fixed for the life of the data: changing it moves installations between partitions, so it
 * is recorded in Redis when the data is first created (layout.ts) and a different K is refused.
 */

/** Partitions of a new deployment. 16 spreads over up to 16 primaries; more costs nothing but names. */
export const DEFAULT_PARTITION_COUNT = 16;
export const MAX_PARTITION_COUNT = 1024;

/**
 * The partition of `id`: FNV-1a (32 bit) over its UTF-8 bytes, modulo `count`. Stable across
 * processes, versions and platforms, which is all it must be: it decides where data already lives.
 */
export function partitionOf(id: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

export interface Partitions {
  readonly count: number;
  /** The partition of an installation id. */
  of(installationId: string): number;
  /** Every partition number, 0 … count-1. */
  all(): number[];
  /** The hash tag of partition `k`, braces included: `{sm:p3}`. */
  tag(k: number): string;
  /**
   * Where the keys of partition `k` start: `<prefix>:{<prefix>:p<k>}`. The prefix comes first so
   * that every key of a deployment still matches `<prefix>:*` (operators' SCANs, tests' cleanup).
   */
  space(k: number): string;
  /** The key space of the partition `installationId` belongs to. */
  spaceOf(installationId: string): string;
}

export function createPartitions(prefix: string, count: number = DEFAULT_PARTITION_COUNT): Partitions {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITION_COUNT) {
    throw new RangeError(`partition count must be an integer 1-${MAX_PARTITION_COUNT}, got ${count}`);
  }
  const tag = (k: number): string => `{${prefix}:p${k}}`;
  const space = (k: number): string => `${prefix}:${tag(k)}`;
  return {
    count,
    of: (id) => partitionOf(id, count),
    all: () => Array.from({ length: count }, (_, k) => k),
    tag,
    space,
    spaceOf: (id) => space(partitionOf(id, count)),
  };
}

import type { Keys } from '../runtime';
/**
 * Key names of the event log (event-log.ts only): one stream per partition, holding every event of
 * its installations, in the partition's slot so it is written in one MULTI with the change an
 * event describes. The platform-wide stream of layout 1 is read only by the layout migration; the
 * per-installation streams of layout 2 only by uninstall (a leftover the migration to layout 3 did
 * not reach).
 */
export function eventKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    partitionEvents: (k: number) => `${keys.partitions.space(k)}:events`,
    partitionEventsOf: (id: string) => `${at(id)}:events`,
    partitionCount: keys.partitions.count,
    partitionOf: (id: string) => keys.partitions.of(id),
    /** Layout 2's stream of one installation (runtime/redis/layout.ts deletes them on the way to layout 3). */
    legacyInstallationEvents: (id: string) => `${at(id)}:inst:${id}:events`,
    /** Layout 1's platform-wide stream (runtime/redis/layout.ts moves it into the partition streams). */
    globalEvents: () => `${p}:events`,
  };
}

export type EventKeys = ReturnType<typeof eventKeys>;

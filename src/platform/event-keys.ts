import type { Keys } from '../runtime';
/**
 * Key names of the event log (event-log.ts only): one stream per installation, and one per
 * partition holding every event of its installations, in the partition's slot so both are written
 * in one MULTI. The platform-wide stream of layout 1 is read only by the layout migration.
 */
export function eventKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    installationEvents: (id: string) => `${at(id)}:inst:${id}:events`,
    partitionEvents: (k: number) => `${keys.partitions.space(k)}:events`,
    partitionEventsOf: (id: string) => `${at(id)}:events`,
    partitionCount: keys.partitions.count,
    /** Layout 1's platform-wide stream (runtime/redis/layout.ts moves it into the partition streams). */
    globalEvents: () => `${p}:events`,
  };
}

export type EventKeys = ReturnType<typeof eventKeys>;

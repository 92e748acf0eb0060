import type { Keys } from '../runtime';
/** Key names of the event log: one stream per installation and the platform-wide one (event-log.ts only). */
export function eventKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    installationEvents: (id: string) => `${at(id)}:inst:${id}:events`,
    globalEvents: () => `${p}:events`,
  };
}

export type EventKeys = ReturnType<typeof eventKeys>;

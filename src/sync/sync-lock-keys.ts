import type { Keys } from '../runtime';
/** Key name of the per-installation sync lock (with-sync-lock.ts only). */
export function syncLockKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    syncLock: (id: string) => `${at(id)}:inst:${id}:sync-lock`,
  };
}

export type SyncLockKeys = ReturnType<typeof syncLockKeys>;

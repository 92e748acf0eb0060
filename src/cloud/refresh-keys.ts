import type { Keys } from '../runtime';
/** Key name of the cluster-wide refresh lock of one installation (refresh.ts only). */
export function refreshKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    refreshLock: (installationId: string) => `${at(installationId)}:inst:${installationId}:refresh-lock`,
  };
}

export type RefreshKeys = ReturnType<typeof refreshKeys>;

/** Key name of the per-installation sync lock (with-sync-lock.ts only). */
export function syncLockKeys(prefix: string) {
  const p = prefix;
  return {
    syncLock: (id: string) => `${p}:inst:${id}:sync-lock`,
  };
}

export type SyncLockKeys = ReturnType<typeof syncLockKeys>;

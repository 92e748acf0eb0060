/** Key name of the cluster-wide refresh lock of one installation (refresh.ts only). */
export function refreshKeys(prefix: string) {
  const p = prefix;
  return {
    refreshLock: (installationId: string) => `${p}:inst:${installationId}:refresh-lock`,
  };
}

export type RefreshKeys = ReturnType<typeof refreshKeys>;

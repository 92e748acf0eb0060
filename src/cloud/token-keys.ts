/**
 * Key name of an installation's provider tokens (provider-token-store.ts only). The installation
 * store deletes this hash atomically with the record; it gets the name through
 * `ProviderTokenStore.recordKey`, handed over at composition, since platform may not import cloud.
 */
export function tokenKeys(prefix: string) {
  const p = prefix;
  return {
    installationTokens: (id: string) => `${p}:inst:${id}:tokens`,
  };
}

export type TokenKeys = ReturnType<typeof tokenKeys>;

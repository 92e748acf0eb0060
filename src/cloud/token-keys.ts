import type { Keys } from '../runtime';
/**
 * Key name of an installation's provider tokens (provider-token-store.ts only). The installation
 * store deletes this hash atomically with the record; it gets the name through
 * `ProviderTokenStore.recordKey`, handed over at composition, since platform may not import cloud.
 */
export function tokenKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    installationTokens: (id: string) => `${at(id)}:inst:${id}:tokens`,
    /** SCAN pattern of every installation's tokens, in every partition (braces are literal in a glob). */
    installationTokensPattern: () => `${p}:{${p}:p*}:inst:*:tokens`,
    /** The installation id in a key the pattern matched; undefined for any other key. */
    installationOfTokens: (key: string): string | undefined => {
      const id = /:inst:([^:]+):tokens$/.exec(key)?.[1];
      return id !== undefined && key === `${at(id)}:inst:${id}:tokens` ? id : undefined;
    },
  };
}

export type TokenKeys = ReturnType<typeof tokenKeys>;

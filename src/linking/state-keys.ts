import type { Keys } from '../runtime';
/** Key names of linking states (state-store.ts only). */
export function stateKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    oauthState: (state: string) => `${p}:oauth-state:${state}`,
    /** Which installation a consumed state was used for, until the state would have expired (replay pages). */
    oauthStateUsed: (state: string) => `${p}:oauth-used:${state}`,
    /** The installation's outstanding linking states, oldest first, so their number can be capped. */
    oauthStates: (installationId: string) => `${at(installationId)}:inst:${installationId}:oauth-states`,
  };
}

export type StateKeys = ReturnType<typeof stateKeys>;

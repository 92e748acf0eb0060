/** Key names of linking states (state-store.ts only). */
export function stateKeys(prefix: string) {
  const p = prefix;
  return {
    oauthState: (state: string) => `${p}:oauth-state:${state}`,
    /** The installation's outstanding linking states, oldest first, so their number can be capped. */
    oauthStates: (installationId: string) => `${p}:inst:${installationId}:oauth-states`,
  };
}

export type StateKeys = ReturnType<typeof stateKeys>;

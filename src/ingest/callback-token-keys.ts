/**
 * Name of the pub/sub channel on which hosts announce a changed callback token, so every host drops
 * its cached lookup (callback-token-cache.ts only). A channel, not a key, but under the same namespace.
 */
export function callbackTokenKeys(prefix: string) {
  const p = prefix;
  return {
    callbackTokensChanged: () => `${p}:callback-tokens:changed`,
  };
}

export type CallbackTokenKeys = ReturnType<typeof callbackTokenKeys>;

/** Key names of authorization codes, access and refresh tokens and their grants (grant-store.ts only). */
export function grantKeys(prefix: string) {
  const p = prefix;
  return {
    code: (hash: string) => `${p}:ws:code:${hash}`,
    accessToken: (hash: string) => `${p}:ws:access:${hash}`,
    refreshToken: (hash: string) => `${p}:ws:refresh:${hash}`,
    /** Token keys issued from one authorization code (a grant), revoked together. */
    grantTokens: (grantId: string) => `${p}:ws:grant:${grantId}:tokens`,
    appGrants: (appId: string) => `${p}:ws:app:${appId}:grants`,
  };
}

export type GrantKeys = ReturnType<typeof grantKeys>;

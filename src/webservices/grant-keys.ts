/**
 * Key names of authorization codes, access and refresh tokens and their grants (grant-store.ts
 * only). A grant's token set and the tokens issued into it share the grant's hash tag, so issuing
 * and revoking (one script each) stay in one Cluster slot. A token names its grant
 * (`<grantId>.<secret>`), so its key is found from the token alone; tokens issued before (layout
 * 1, no grant in them) keep their untagged keys until they expire.
 */
export function grantKeys(prefix: string) {
  const p = prefix;
  const grant = (grantId: string): string => `${p}:{${p}:ws:grant:${grantId}}`;
  return {
    code: (hash: string) => `${p}:ws:code:${hash}`,
    /** A token's key: in its grant's slot when the token names the grant, else layout 1's name. */
    accessToken: (hash: string, grantId?: string) => (grantId !== undefined ? `${grant(grantId)}:access:${hash}` : `${p}:ws:access:${hash}`),
    refreshToken: (hash: string, grantId?: string) => (grantId !== undefined ? `${grant(grantId)}:refresh:${hash}` : `${p}:ws:refresh:${hash}`),
    /** Token keys issued from one authorization code (a grant), revoked together. */
    grantTokens: (grantId: string) => `${grant(grantId)}:tokens`,
    appGrants: (appId: string) => `${p}:ws:app:${appId}:grants`,
    /** Layout 1's grant sets, moved under their grant's tag at start (grant-store.ts migrateGrantSets). */
    layout1GrantTokensPattern: () => `${p}:ws:grant:*:tokens`,
    layout1GrantOf: (key: string): string | undefined => /:ws:grant:([^:]+):tokens$/.exec(key)?.[1],
  };
}

export type GrantKeys = ReturnType<typeof grantKeys>;

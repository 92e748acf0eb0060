import { RFC6749_REFRESH_REFUSED, type OAuthProvider } from '../../src/connectors/sdk';

/**
 * Honeywell Home's OAuth (honeywell-api.md §2): /oauth2/authorize and /oauth2/token on the API
 * host; the client id is the app's Consumer Key; the token endpoint takes HTTP Basic client auth;
 * no scope is documented or sent; `appSelect=1` lets the user pick a Resideo or First Alert login.
 */
export const provider = {
  authorizePath: '/oauth2/authorize',
  tokenPath: '/oauth2/token',
  // No scope is documented (§2): an empty list sends no `scope` parameter at all.
  scopes: [],
  scopeSeparator: ' ',
  clientAuth: 'basic',
  tokenParams: 'body',
  // PKCE is not documented (§2).
  pkce: false,
  authorizeParams: { appSelect: '1' },
  // 400 invalid_grant is RFC 6749's; HA's coordinator also treats a 401/403 from the refresh
  // endpoint as "link again" (§5), as we do.
  refreshRefused: [...RFC6749_REFRESH_REFUSED, { status: [401, 403] }],
} as const satisfies OAuthProvider;

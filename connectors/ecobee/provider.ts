import type { OAuthProvider } from '../../src/connectors/sdk';

/**
 * ecobee's OAuth quirks (ecobee-api.md §1): /authorize and /token sit at the host root, scopes are
 * comma-separated, there is no client secret (client_id goes with the parameters), and the
 * documented token request carries its parameters in the query string.
 */
export const provider = {
  authorizePath: '/authorize',
  tokenPath: '/token',
  scopes: ['smartRead', 'smartWrite'],
  scopeSeparator: ',',
  clientAuth: 'body',
  tokenParams: 'query',
  pkce: false,
  // §1.3: JWT access tokens; accepted and ignored since Dec 2020, harmless before.
  refreshParams: { ecobee_type: 'jwt' },
} as const satisfies OAuthProvider;

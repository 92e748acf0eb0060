import type { OAuthProvider } from '../../src/connectors/sdk';

/**
 * Netatmo's OAuth (netatmo-api.md §1): /oauth2/authorize and /oauth2/token on the API host,
 * space-separated scopes, client_id and client_secret in the form body, scope returned as an
 * array, refresh tokens that rotate (the old one dies at once: §1.4).
 */
export const provider = {
  authorizePath: '/oauth2/authorize',
  tokenPath: '/oauth2/token',
  scopes: ['read_thermostat', 'write_thermostat'],
  scopeSeparator: ' ',
  clientAuth: 'body',
  tokenParams: 'body',
  pkce: false,
} as const satisfies OAuthProvider;

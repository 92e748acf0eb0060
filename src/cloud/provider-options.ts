import type { ModuleOptions } from 'simple-oauth2';
import type { ConnectorCredentials } from '../runtime';
import type { OAuthProvider } from '../connectors';

/**
 * The one function that turns a provider's quirks into simple-oauth2 options. `queryParams` are
 * appended to the token path for providers whose documented form puts grant parameters in the
 * query string (simple-oauth2 only knows form and JSON bodies).
 */
export function toModuleOptions(
  provider: OAuthProvider,
  credentials: ConnectorCredentials,
  queryParams?: Record<string, string>,
): ModuleOptions<'client_id'> {
  const base = new URL(credentials.apiUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  let tokenPath = `${basePath}${provider.tokenPath}`;
  if (queryParams && provider.tokenParams === 'query') {
    tokenPath += `?${new URLSearchParams(queryParams).toString()}`;
  }
  const secret = credentials.clientSecret;
  return {
    // ecobee issues no secret; simple-oauth2 then sends an empty client_secret, which it ignores.
    client: { id: credentials.clientId, secret: secret ?? '' },
    auth: {
      tokenHost: base.origin,
      tokenPath,
      authorizeHost: base.origin,
      authorizePath: `${basePath}${provider.authorizePath}`,
    },
    options: {
      authorizationMethod: provider.clientAuth === 'basic' ? 'header' : 'body',
      bodyFormat: 'form',
      scopeSeparator: provider.scopeSeparator,
    },
  };
}

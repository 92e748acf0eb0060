import { AuthorizationCode } from 'simple-oauth2';
import type { ConnectorCredentials } from '../runtime';
import type { OAuthProvider } from '../connectors';
import type { TokenSet } from '../cloud';
import { parseTokenResponse, toModuleOptions } from '../cloud';

export interface AuthorizeUrlInput {
  redirectUri: string;
  state: string;
  codeChallenge: string | undefined;
}

export function buildAuthorizeUrl(
  provider: OAuthProvider,
  credentials: ConnectorCredentials,
  input: AuthorizeUrlInput,
): string {
  const client = new AuthorizationCode(toModuleOptions(provider, credentials));
  const params: Record<string, string | string[]> = {
    ...provider.authorizeParams,
    redirect_uri: input.redirectUri,
    state: input.state,
  };
  // No scopes, no parameter: an empty `scope=` is a different request to some clouds.
  if (provider.scopes.length > 0) params['scope'] = [...provider.scopes];
  if (input.codeChallenge !== undefined) {
    params['code_challenge'] = input.codeChallenge;
    params['code_challenge_method'] = 'S256';
  }
  // simple-oauth2 passes unknown parameters through; its typings only list the common ones.
  return client.authorizeURL(params as Parameters<AuthorizationCode['authorizeURL']>[0]);
}

/** Exchanges an authorization code with simple-oauth2. Any failure is the provider's refusal or absence. */
export async function exchangeCode(
  provider: OAuthProvider,
  credentials: ConnectorCredentials,
  input: { code: string; redirectUri: string; codeVerifier: string | undefined; timeoutMs: number; now: () => number },
): Promise<TokenSet> {
  const params: Record<string, string> = {
    code: input.code,
    redirect_uri: input.redirectUri,
    grant_type: 'authorization_code',
    client_id: credentials.clientId,
  };
  if (input.codeVerifier !== undefined) params['code_verifier'] = input.codeVerifier;
  const client = new AuthorizationCode(toModuleOptions(provider, credentials, params));
  const { grant_type: _g, client_id: _c, ...bodyParams } = params;
  const token = await client.getToken(bodyParams as { code: string; redirect_uri: string }, { timeout: input.timeoutMs });
  return parseTokenResponse(token.token, input.now());
}

import { matchRedirectUri } from './redirect-uri';
import { isSubset, parseScope, type Scope } from './scopes';

/** What the authorization endpoint knows about a registered client. */
export interface ClientView {
  clientId: string;
  name: string;
  redirectUris: string[];
  scopes: Scope[];
  grantTypes: GrantType[];
  /** RFC 7591 names; `none` is a public client (no secret, PKCE required). Either secret method is accepted from a confidential client. */
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
}
export type GrantType = 'authorization_code' | 'refresh_token';
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export interface ValidAuthorizeRequest {
  client: ClientView;
  redirectUri: string;
  scopes: Scope[];
  state: string | undefined;
  /** PKCE (RFC 7636), S256 only: BASE64URL(SHA256(code_verifier)). */
  codeChallenge: string | undefined;
}

/** An S256 challenge is the base64url of 32 bytes: 43 characters, no padding. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export type AuthorizeCheck =
  /** The client or redirect URI cannot be trusted: show a page, never redirect (RFC 6749 §4.1.2.1). */
  | { kind: 'page'; code: 'unknown_client' | 'invalid_request'; message: string }
  /** Trusted redirect URI: the error goes back to the client. */
  | { kind: 'redirect'; redirectUri: string; error: string; description: string; state: string | undefined }
  | { kind: 'ok'; request: ValidAuthorizeRequest };

type Query = Record<string, string | string[] | undefined>;

const PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

/**
 * The checks of RFC 6749 §4.1.1 / §4.1.2.1 in the order that decides where an error may go:
 * client and redirect URI first (errors shown to the user), then everything else (redirected).
 */
export function checkAuthorizeRequest(query: Query, lookup: (clientId: string) => ClientView | undefined): AuthorizeCheck {
  const single = (name: string): string | undefined => {
    const v = query[name];
    return typeof v === 'string' ? v : undefined;
  };
  const clientId = single('client_id');
  if (Array.isArray(query['client_id']) || Array.isArray(query['redirect_uri'])) {
    return { kind: 'page', code: 'invalid_request', message: 'client_id and redirect_uri must each be given once.' };
  }
  const client = clientId ? lookup(clientId) : undefined;
  if (!client) return { kind: 'page', code: 'unknown_client', message: 'This application is not registered.' };
  const redirectUri = single('redirect_uri');
  // Required even with a single registered URI (RFC 6749 allows omitting it; OAuth 2.1 does not),
  // so the token request can always be bound to the exact URI.
  if (!redirectUri || !matchRedirectUri(client.redirectUris, redirectUri)) {
    return { kind: 'page', code: 'unknown_client', message: 'The redirect URI is missing or not registered for this application.' };
  }
  const rawState = query['state'];
  const state = typeof rawState === 'string' ? rawState : undefined;
  const fail = (error: string, description: string): AuthorizeCheck => ({ kind: 'redirect', redirectUri, error, description, state });

  for (const name of PARAMS) if (Array.isArray(query[name])) return fail('invalid_request', `${name} must be given once.`);
  const responseType = single('response_type');
  if (!responseType) return fail('invalid_request', 'response_type is required.');
  if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
  if (!client.grantTypes.includes('authorization_code')) {
    return fail('unauthorized_client', 'This client may not use the authorization code grant.');
  }
  const codeChallenge = single('code_challenge');
  const challengeMethod = single('code_challenge_method');
  if (codeChallenge === undefined) {
    if (challengeMethod !== undefined) return fail('invalid_request', 'code_challenge_method without code_challenge.');
    if (client.tokenEndpointAuthMethod === 'none') return fail('invalid_request', 'A public client must use PKCE (code_challenge with S256).');
  } else {
    // RFC 9700 §2.1.1: `plain` protects nothing once the request is seen; it is also the default
    // when no method is named (RFC 7636 §4.3), so the method must be given.
    if (challengeMethod !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256.');
    if (!S256_CHALLENGE.test(codeChallenge)) return fail('invalid_request', 'code_challenge is not an S256 challenge.');
  }
  const rawScope = single('scope');
  let scopes: Scope[];
  if (rawScope === undefined) {
    scopes = client.scopes; // RFC 6749 §3.3: the server may apply a pre-defined default
  } else {
    const parsed = parseScope(rawScope);
    if (!parsed.ok) return fail('invalid_scope', 'Unknown scope.');
    if (!isSubset(parsed.scopes, client.scopes)) return fail('invalid_scope', 'The scope exceeds what this client is registered for.');
    scopes = parsed.scopes;
  }
  if (state !== undefined && state.length > 1024) return fail('invalid_request', 'state is too long.');
  return { kind: 'ok', request: { client, redirectUri, scopes, state, codeChallenge } };
}

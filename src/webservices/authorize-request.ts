import { matchRedirectUri } from './redirect-uri';
import { isSubset, parseScope, type Scope } from './scopes';

/** What the authorization endpoint knows about a registered client. */
export interface ClientView {
  clientId: string;
  name: string;
  redirectUris: string[];
  scopes: Scope[];
  grantTypes: GrantType[];
}
export type GrantType = 'authorization_code' | 'refresh_token';

export interface ValidAuthorizeRequest {
  client: ClientView;
  redirectUri: string;
  scopes: Scope[];
  state: string | undefined;
}

export type AuthorizeCheck =
  /** The client or redirect URI cannot be trusted: show a page, never redirect (RFC 6749 §4.1.2.1). */
  | { kind: 'page'; code: 'unknown_client' | 'invalid_request'; message: string }
  /** Trusted redirect URI: the error goes back to the client. */
  | { kind: 'redirect'; redirectUri: string; error: string; description: string; state: string | undefined }
  | { kind: 'ok'; request: ValidAuthorizeRequest };

type Query = Record<string, string | string[] | undefined>;

const PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state'] as const;

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
  return { kind: 'ok', request: { client, redirectUri, scopes, state } };
}

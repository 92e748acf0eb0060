import { errorPage, loginPage } from './pages';
import { html, json, redirect, type Reply } from './reply';
import type { TokenStore } from './state';

/** The fake's /authorize and /token (ecobee-api.md §1). */

export interface OAuthConfig {
  tokens: TokenStore;
  username: string;
  password: string;
}

/** §1.4's example scope, used when the authorize request names none. */
const DEFAULT_SCOPE = 'smartWrite';

// ---------------------------------------------------------------------------------------------
// /authorize (§1.2, §9.1)

interface AuthorizeRequest {
  redirectUri: string;
  scope: string;
  state?: string;
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state'] as const;

/**
 * A bad authorize request gets an error page, never a redirect: redirecting to an unchecked
 * redirect_uri would make the fake an open redirector, which the real service is not either.
 */
function parseAuthorizeRequest(params: URLSearchParams, clientId: string): AuthorizeRequest | string {
  if (params.get('client_id') !== clientId) return 'Unknown application (client_id).';
  if (params.get('response_type') !== 'code') return 'Unsupported response_type: this server only supports "code".';
  const redirectUri = params.get('redirect_uri');
  // Ports are allowed, unlike the real service (§1.2), so local callbacks work.
  if (!redirectUri || !isAbsoluteHttpUrl(redirectUri)) return 'redirect_uri must be an absolute http(s) URL.';
  const request: AuthorizeRequest = { redirectUri, scope: params.get('scope') || DEFAULT_SCOPE };
  const state = params.get('state');
  if (state) request.state = state;
  return request;
}

/** RFC 6749 §3.1.2: an absolute URI without a fragment. */
function isAbsoluteHttpUrl(raw: string): boolean {
  if (!URL.canParse(raw) || raw.includes('#')) return false;
  const { protocol } = new URL(raw);
  return protocol === 'http:' || protocol === 'https:';
}

/** The authorize parameters, carried through the sign-in form unchanged. */
function hiddenFields(params: URLSearchParams): Record<string, string> {
  const hidden: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAMS) {
    const value = params.get(name);
    if (value !== null) hidden[name] = value;
  }
  return hidden;
}

/** §1.2: the callback carries code (or error) and echoes state when one was sent. */
function callback(request: AuthorizeRequest, params: Record<string, string>): string {
  const url = new URL(request.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  return url.toString();
}

export function authorizePage(cfg: OAuthConfig, query: URLSearchParams): Reply {
  const request = parseAuthorizeRequest(query, cfg.tokens.clientId);
  if (typeof request === 'string') return html(400, errorPage(request));
  return html(200, loginPage({ hidden: hiddenFields(query), clientId: cfg.tokens.clientId, scope: request.scope }));
}

export function authorizeSubmit(cfg: OAuthConfig, form: URLSearchParams): Reply {
  const request = parseAuthorizeRequest(form, cfg.tokens.clientId);
  if (typeof request === 'string') return html(400, errorPage(request));
  // Declining needs no sign-in: it is the page's "cancel".
  if (form.get('decision') === 'decline') {
    return redirect(
      callback(request, { error: 'access_denied', error_description: 'The user denied the authorization request.' }),
    );
  }
  const username = form.get('username') ?? '';
  if (username !== cfg.username || form.get('password') !== cfg.password) {
    return html(
      401,
      loginPage({
        hidden: hiddenFields(form),
        clientId: cfg.tokens.clientId,
        scope: request.scope,
        username,
        error: 'Incorrect email or password.',
      }),
    );
  }
  return redirect(callback(request, { code: cfg.tokens.createCode(request.redirectUri, request.scope) }));
}

// ---------------------------------------------------------------------------------------------
// /token (§1.2-§1.6)

type OAuthErrorName = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type';

/** §1.6: status and description per error; invalid_grant's text is the exact live body. */
const OAUTH_ERRORS: Record<OAuthErrorName, { status: number; description: string }> = {
  invalid_request: { status: 400, description: 'The request is malformed. Check parameters.' },
  invalid_client: {
    status: 401,
    description: 'Authentication error, invalid authentication method, lack of credentials, etc.',
  },
  invalid_grant: {
    status: 400,
    description:
      'The authorization grant, token or credentials are invalid, expired, revoked, do not match the redirection URI used in the authorization request, or was issued to another client.',
  },
  // §1.6 lists the name only; the description is RFC 6749's.
  unsupported_grant_type: {
    status: 400,
    description: 'The authorization grant type is not supported by the authorization server.',
  },
};

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function oauthError(error: OAuthErrorName): Reply {
  const { status, description } = OAUTH_ERRORS[error];
  return json(
    status,
    { error, error_description: description, error_uri: 'https://tools.ietf.org/html/rfc6749#section-5.2' },
    NO_STORE,
  );
}

/**
 * §1.3: no client secret exists; clients put client_id with the parameters. A Basic header is
 * accepted too (simple-oauth2's default), reading only its user part.
 */
export function basicClientId(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const user = Buffer.from(match[1], 'base64').toString('utf8').split(':')[0] ?? '';
  try {
    return decodeURIComponent(user.replace(/\+/g, ' '));
  } catch {
    return user;
  }
}

/** `params` is the query string merged with the form body (§1.3: both are used in the wild). */
export function token(tokens: TokenStore, params: URLSearchParams, basicClient: string | undefined): Reply {
  const clientId = params.get('client_id') ?? basicClient;
  if (clientId !== tokens.clientId) return oauthError('invalid_client');
  // ecobee_type=jwt (§1.3) needs no handling: every access token is JWT-shaped already.
  switch (params.get('grant_type')) {
    case 'authorization_code':
      return exchangeCode(tokens, params, clientId);
    case 'refresh_token':
      return refresh(tokens, params, clientId);
    case null:
      return oauthError('invalid_request');
    default:
      return oauthError('unsupported_grant_type');
  }
}

function exchangeCode(tokens: TokenStore, params: URLSearchParams, clientId: string): Reply {
  const code = params.get('code');
  if (!code) return oauthError('invalid_request');
  const issued = tokens.exchangeCode(code, clientId, params.get('redirect_uri') ?? undefined);
  return issued ? json(200, issued, NO_STORE) : oauthError('invalid_grant');
}

function refresh(tokens: TokenStore, params: URLSearchParams, clientId: string): Reply {
  // §1.3: "The code parameter is also supported for the refresh token value".
  const refreshToken = params.get('refresh_token') ?? params.get('code');
  if (!refreshToken) return oauthError('invalid_request');
  const outcome = tokens.refresh(refreshToken, clientId);
  return outcome.ok ? json(200, outcome.tokens, NO_STORE) : oauthError(outcome.error);
}

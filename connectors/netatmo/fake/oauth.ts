import { timingSafeEqual } from 'node:crypto';
import { errorPage, loginPage } from './pages';
import { html, json, redirect, type Reply } from './reply';
import type { FakeUser, TokenStore } from './state';

/** The fake's /oauth2/authorize and /oauth2/token (netatmo-api.md §1). */

export interface OAuthConfig {
  tokens: TokenStore;
  clientId: string;
  clientSecret: string;
  user: FakeUser;
}

/** "Default scope is read_station" (§1.2). */
const DEFAULT_SCOPE = 'read_station';

// ---------------------------------------------------------------------------------------------
// /oauth2/authorize (§1.2)

interface AuthorizeRequest {
  redirectUri: string;
  scope: string[];
  state?: string;
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state'] as const;

/**
 * A bad authorize request gets an error page, never a redirect: redirecting to an unchecked
 * redirect_uri would make the fake an open redirector.
 */
function parseAuthorizeRequest(params: URLSearchParams, clientId: string): AuthorizeRequest | string {
  if (params.get('client_id') !== clientId) return 'Unknown application (client_id).';
  // §1.2: response_type=code is optional; anything else is refused.
  const responseType = params.get('response_type');
  if (responseType !== null && responseType !== 'code') return 'Unsupported response_type: only "code" is supported.';
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri || !isAbsoluteHttpUrl(redirectUri)) return 'redirect_uri must be an absolute http(s) URL.';
  const scope = (params.get('scope') || DEFAULT_SCOPE).split(' ').filter((s) => s !== '');
  const request: AuthorizeRequest = { redirectUri, scope };
  const state = params.get('state');
  if (state) request.state = state;
  return request;
}

function isAbsoluteHttpUrl(raw: string): boolean {
  if (!URL.canParse(raw) || raw.includes('#')) return false;
  const { protocol } = new URL(raw);
  return protocol === 'http:' || protocol === 'https:';
}

function hiddenFields(params: URLSearchParams): Record<string, string> {
  const hidden: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAMS) {
    const value = params.get(name);
    if (value !== null) hidden[name] = value;
  }
  return hidden;
}

/** §1.2: `redirect_uri?state=…&code=…`, or `error=access_denied` on refusal. */
function callback(request: AuthorizeRequest, params: Record<string, string>): string {
  const url = new URL(request.redirectUri);
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

export function authorizePage(cfg: OAuthConfig, query: URLSearchParams): Reply {
  const request = parseAuthorizeRequest(query, cfg.clientId);
  if (typeof request === 'string') return html(400, errorPage(request));
  return html(200, loginPage({ hidden: hiddenFields(query), clientId: cfg.clientId, scope: request.scope.join(' ') }));
}

export function authorizeSubmit(cfg: OAuthConfig, form: URLSearchParams): Reply {
  const request = parseAuthorizeRequest(form, cfg.clientId);
  if (typeof request === 'string') return html(400, errorPage(request));
  if (form.get('decision') === 'decline') return redirect(callback(request, { error: 'access_denied' }));
  const username = form.get('username') ?? '';
  if (username !== cfg.user.email || form.get('password') !== cfg.user.password) {
    return html(
      401,
      loginPage({
        hidden: hiddenFields(form),
        clientId: cfg.clientId,
        scope: request.scope.join(' '),
        username,
        error: 'Incorrect email or password.',
      }),
    );
  }
  return redirect(callback(request, { code: cfg.tokens.createCode(cfg.user.id, request.redirectUri, request.scope) }));
}

// ---------------------------------------------------------------------------------------------
// /oauth2/token (§1.3, §1.4)

type OAuthErrorName = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** §1.3: Netatmo's OAuth errors are flat (`{"error":"invalid_grant"}`), with HTTP 400. */
export function oauthError(error: OAuthErrorName): Reply {
  return json(400, { error }, NO_STORE);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * §1.3: client_id and client_secret travel in the form body; HTTP Basic is not known to work with
 * Netatmo, so the fake does not accept it (a connector relying on it would fail for real).
 */
export function token(cfg: OAuthConfig, form: URLSearchParams): Reply {
  if (form.get('client_id') !== cfg.clientId || !sameSecret(form.get('client_secret') ?? '', cfg.clientSecret)) {
    return oauthError('invalid_client');
  }
  switch (form.get('grant_type')) {
    case 'authorization_code': {
      const code = form.get('code');
      if (!code) return oauthError('invalid_request');
      const issued = cfg.tokens.exchangeCode(code, form.get('redirect_uri') ?? undefined);
      return issued ? json(200, issued, NO_STORE) : oauthError('invalid_grant');
    }
    case 'refresh_token': {
      const refreshToken = form.get('refresh_token');
      if (!refreshToken) return oauthError('invalid_request');
      const outcome = cfg.tokens.refresh(refreshToken);
      return outcome.ok ? json(200, outcome.tokens, NO_STORE) : oauthError(outcome.error);
    }
    case null:
      return oauthError('invalid_request');
    default:
      // grant_type=password was switched off for good in 2023 (§1.3).
      return oauthError('unsupported_grant_type');
  }
}

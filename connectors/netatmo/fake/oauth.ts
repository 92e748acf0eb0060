import { timingSafeEqual } from 'node:crypto';
import { json, type AuthorizeFlow, type Reply } from '../../../src/connectors/fake-cloud';
import { signInPages } from './pages';
import type { FakeUser } from './accounts';
import type { TokenStore } from './tokens';

/** The fake's /oauth2/authorize and /oauth2/token (netatmo-api.md §1). */

export interface OAuthConfig {
  tokens: TokenStore;
  clientId: string;
  clientSecret: string;
  user: FakeUser;
}

/** /oauth2/authorize (§1.2): the toolkit's sign-in flow with Netatmo's rules. */
export function authorizeFlow(cfg: OAuthConfig): AuthorizeFlow {
  return {
    clientId: cfg.clientId,
    pages: signInPages,
    // "Default scope is read_station" (§1.2).
    defaultScope: 'read_station',
    // §1.2: response_type=code is optional; anything else is refused.
    responseType: 'optional',
    signIn: (username, password) => username === cfg.user.email && password === cfg.user.password,
    issueCode: (request) =>
      cfg.tokens.createCode(cfg.user.id, request.redirectUri, request.scope.split(' ').filter((s) => s !== '')),
    declined: { error: 'access_denied' },
  };
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

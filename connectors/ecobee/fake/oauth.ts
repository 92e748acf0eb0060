import { json, type AuthorizeFlow, type Reply } from '../../../src/connectors/fake-cloud';
import { signInPages } from './pages';
import type { FakeUser } from './accounts';
import type { TokenStore } from './tokens';

/** The fake's /authorize and /token (ecobee-api.md §1). */

export interface OAuthConfig {
  tokens: TokenStore;
  user: FakeUser;
}

/** /authorize (§1.2, §9.1): the toolkit's sign-in flow with ecobee's rules. */
export function authorizeFlow(cfg: OAuthConfig): AuthorizeFlow {
  return {
    clientId: cfg.tokens.clientId,
    pages: signInPages,
    // §1.4's example scope, used when the authorize request names none.
    defaultScope: 'smartWrite',
    responseType: 'required',
    signIn: (username, password) => username === cfg.user.username && password === cfg.user.password,
    issueCode: (request) => cfg.tokens.createCode(request.redirectUri, request.scope),
    declined: { error: 'access_denied', error_description: 'The user denied the authorization request.' },
  };
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

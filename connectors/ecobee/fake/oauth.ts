import { randomBytes, randomInt } from 'node:crypto';
import {
  TokenLedger,
  type AuthorizeFlow,
  type FakeRequest,
  type IssuedTokens,
  type TokenEndpointOptions,
  type TokenError,
} from '../../../src/connectors/fake-cloud';
import { signInPages } from './pages';
import type { FakeUser } from './accounts';
import type { Clock } from './clock';

/**
 * The fake ecobee's OAuth (ecobee-api.md §1) on the fake-cloud kit: the kit's TokenLedger keeps
 * codes, grants and tokens and its handleToken/handleRevoke serve the endpoints; what is ecobee's
 * own is data here: token and code shapes, the §1.4 response, the §1.6 error bodies, the
 * client-id-only client (§1.3), and where the parameters may come from.
 */

/** §1.4 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** §1.7: 'strict' (legacy docs) kills a refresh token once used; 'lenient' (current docs) keeps it. */
export type RefreshTokenReuse = 'strict' | 'lenient';

/** ecobee scopes are comma-separated (§1.2: `scope=smartRead,smartWrite`). */
const SCOPE_SEPARATOR = ',';

export function tokenResponse(tokens: IssuedTokens): TokenResponse {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresInS,
    refresh_token: tokens.refreshToken,
    scope: tokens.scope.join(SCOPE_SEPARATOR),
  };
}

export function ecobeeLedger(opts: { accessTokenTtlS: number; refreshTokenReuse: RefreshTokenReuse; now: Clock }): TokenLedger {
  return new TokenLedger({
    accessTokenTtlS: opts.accessTokenTtlS,
    // Each refresh issues a new refresh token; strict retires the presented one, lenient keeps it.
    rotation: opts.refreshTokenReuse === 'strict' ? true : 'lenient',
    now: opts.now,
    mint: (kind, _subject, scope) => {
      if (kind === 'code') return randomAlnum(32); // §2 shows 32 alphanumerics for an authorization code
      // §1.5: refresh tokens "of varying lengths and can contain non-alphanumeric characters", e.g. "v1.X8NZ…".
      if (kind === 'refresh') return `v1.${randomBytes(24 + randomInt(16)).toString('base64url')}`;
      const iat = Math.floor(opts.now() / 1000);
      return jwtLike({ scope: scope.join(SCOPE_SEPARATOR), iat, exp: iat + opts.accessTokenTtlS });
    },
  });
}

export function parseScope(scope: string): string[] {
  return scope.split(SCOPE_SEPARATOR);
}

/** /authorize (§1.2, §9.1): the kit's sign-in flow with ecobee's rules (no PKCE: §1 documents none). */
export function authorizeFlow(ledger: TokenLedger, clientId: string, user: FakeUser): AuthorizeFlow {
  return {
    clientId,
    pages: signInPages,
    // §1.4's example scope, used when the authorize request names none.
    defaultScope: 'smartWrite',
    responseType: 'required',
    signIn: (username, password) => username === user.username && password === user.password,
    issueCode: (request) => ledger.createCode({ subject: user.username, redirectUri: request.redirectUri, scope: parseScope(request.scope) }),
    declined: { error: 'access_denied', error_description: 'The user denied the authorization request.' },
  };
}

const ERROR_URI = 'https://tools.ietf.org/html/rfc6749#section-5.2';

/** §1.6: status and description per error; invalid_grant's text is the exact live body. */
const OAUTH_ERRORS: Record<TokenError, { status: number; description: string }> = {
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

const refusals = Object.fromEntries(
  Object.entries(OAUTH_ERRORS).map(([error, { status, description }]) => [error, { status, body: { error, error_description: description, error_uri: ERROR_URI } }]),
) as TokenEndpointOptions['refusals'];

/**
 * /token (§1.2-§1.6) and the opt-in /revoke. §1.3: no client secret exists, clients put client_id
 * with the parameters, in the query string or a form body (both are used in the wild; the body
 * wins); a Basic header's user part is accepted too (simple-oauth2's default).
 */
export function tokenEndpoint(ledger: TokenLedger, clientId: string, onRevoked: TokenEndpointOptions['onRevoked']): TokenEndpointOptions {
  return {
    ledger,
    clientId,
    clientSecret: undefined,
    clientAuth: 'either',
    params: 'query-or-form',
    tokenBody: tokenResponse,
    ...(refusals ? { refusals } : {}),
    ...(onRevoked ? { onRevoked } : {}),
  };
}

/**
 * §1.3: "The code parameter is also supported for the refresh token value": a refresh that names
 * its token `code` is handed to the kit as `refresh_token`. (ecobee_type=jwt needs no handling:
 * every access token is JWT-shaped already.)
 */
export function withRefreshAlias<R extends FakeRequest<string>>(request: R): R {
  const form = new URLSearchParams(request.form);
  const grantType = form.get('grant_type') ?? request.url.searchParams.get('grant_type');
  if (grantType !== 'refresh_token' || form.has('refresh_token') || request.url.searchParams.has('refresh_token')) return request;
  const code = form.get('code') ?? request.url.searchParams.get('code');
  if (code === null) return request;
  form.set('refresh_token', code);
  return { ...request, form };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** §1.5: access tokens are JWTs since Dec 2020. Nothing verifies the signature, so it's random. */
function jwtLike(claims: { scope: string; iat: number; exp: number }): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = part({ alg: 'RS256', typ: 'JWT', kid: 'fake-ecobee' });
  const payload = part({
    iss: 'https://auth.ecobee.com/',
    sub: 'fake-ecobee-user',
    aud: 'https://prod.ecobee.com/api/v1',
    jti: randomBytes(12).toString('hex'),
    ...claims,
  });
  return `${header}.${payload}.${randomBytes(256).toString('base64url')}`;
}

import type { IncomingHttpHeaders } from 'node:http';
import { constantTimeEqual } from '../../runtime/secrets/hmac';
import { json, type Reply } from './reply';
import { mergeParams } from './request-body';
import type { GrantRefusal, IssuedTokens, TokenLedger } from './token-ledger';

/**
 * A fake cloud's token endpoint (RFC 6749 §3.2, §4.1.3, §6) and revocation endpoint (RFC 7009)
 * over a TokenLedger. What differs between clouds is data: where the client authenticates, whether
 * PKCE is required, how the token response and each refusal look.
 */

export type TokenError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type';

export interface TokenEndpointOptions {
  ledger: TokenLedger;
  clientId: string;
  /** Undefined for a public client (ecobee's PIN apps): only the client id is checked. */
  clientSecret: string | undefined;
  /** Form fields, an HTTP Basic header, or either one (RFC 6749 §2.3.1 allows both). */
  clientAuth: 'body' | 'basic' | 'either';
  /** Grant parameters from the form body only (default), or from the query string too (ecobee). */
  params?: 'form' | 'query-or-form';
  /**
   * 'required': every code exchange must carry a verifier matching the authorize request's S256
   * challenge (a connector that declares `pkce`). 'if-challenged' (default): checked when a
   * challenge was sent.
   */
  pkce?: 'required' | 'if-challenged';
  /** The cloud's token response; default RFC 6749 §5.1 with a numeric expires_in. */
  tokenBody?: (tokens: IssuedTokens) => unknown;
  /** The cloud's refusal bodies; default RFC 6749 §5.2: 400 `{error}` (invalid_client: 401). */
  refusals?: Partial<Record<TokenError, { status: number; body: unknown }>>;
  /** Told of every successful grant (counters, a test's last tokens). */
  onIssued?: (tokens: IssuedTokens, grantType: 'authorization_code' | 'refresh_token') => void;
  /** Told of every accepted revocation request: the hint it carried and whether the token was known (never the token). */
  onRevoked?: (revocation: { tokenTypeHint: string | undefined; known: boolean }) => void;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function rfc6749TokenBody(tokens: IssuedTokens): unknown {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresInS,
    refresh_token: tokens.refreshToken,
    ...(tokens.scope.length ? { scope: tokens.scope.join(' ') } : {}),
  };
}

function refuse(opts: TokenEndpointOptions, error: TokenError): Reply {
  const custom = opts.refusals?.[error];
  if (custom) return json(custom.status, custom.body, NO_STORE);
  return json(error === 'invalid_client' ? 401 : 400, { error }, NO_STORE);
}

function sameSecret(given: string, expected: string): boolean {
  return constantTimeEqual(given, expected);
}

/** RFC 6749 §2.3.1: Basic with the form-urlencoded id and secret. */
export function basicCredentials(headers: IncomingHttpHeaders): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function clientAuthenticated(opts: TokenEndpointOptions, headers: IncomingHttpHeaders, params: URLSearchParams): boolean {
  const basic = basicCredentials(headers);
  const body = params.has('client_id') ? { id: params.get('client_id') ?? '', secret: params.get('client_secret') ?? undefined } : undefined;
  const check = (c: { id: string; secret: string | undefined }) =>
    c.id === opts.clientId && (opts.clientSecret === undefined || sameSecret(c.secret ?? '', opts.clientSecret));
  switch (opts.clientAuth) {
    case 'basic':
      // Some clients repeat the id (and secret) in the body too (Honeywell's HA client); the header decides.
      return basic !== undefined && check(basic);
    case 'body':
      return basic === undefined && body !== undefined && check(body);
    case 'either':
      return basic ? check(basic) : body !== undefined && check(body);
  }
}

const GRANT_REFUSAL: Record<GrantRefusal, TokenError> = {
  unknown: 'invalid_grant',
  expired: 'invalid_grant',
  redirect_mismatch: 'invalid_grant',
  pkce_failed: 'invalid_grant',
  stale: 'invalid_grant',
  revoked: 'invalid_grant',
};

/** POST on the token endpoint: the code grant and the refresh grant. */
export function handleToken(
  opts: TokenEndpointOptions,
  request: { url: URL; form: URLSearchParams; headers: IncomingHttpHeaders },
): Reply {
  const params = opts.params === 'query-or-form' ? mergeParams(request.url.searchParams, request.form) : request.form;
  if (!clientAuthenticated(opts, request.headers, params)) return refuse(opts, 'invalid_client');
  const body = opts.tokenBody ?? rfc6749TokenBody;
  const grantType = params.get('grant_type');
  switch (grantType) {
    case 'authorization_code': {
      const code = params.get('code');
      if (!code) return refuse(opts, 'invalid_request');
      const verifier = params.get('code_verifier') ?? undefined;
      if (opts.pkce === 'required' && verifier === undefined) return refuse(opts, 'invalid_request');
      const outcome = opts.ledger.exchangeCode(code, params.get('redirect_uri') ?? undefined, verifier);
      if (!outcome.ok) return refuse(opts, GRANT_REFUSAL[outcome.refusal]);
      opts.onIssued?.(outcome.tokens, grantType);
      return json(200, body(outcome.tokens), NO_STORE);
    }
    case 'refresh_token': {
      const refreshToken = params.get('refresh_token');
      if (!refreshToken) return refuse(opts, 'invalid_request');
      const outcome = opts.ledger.refresh(refreshToken);
      if (!outcome.ok) return refuse(opts, GRANT_REFUSAL[outcome.refusal]);
      opts.onIssued?.(outcome.tokens, grantType);
      return json(200, body(outcome.tokens), NO_STORE);
    }
    case null:
      return refuse(opts, 'invalid_request');
    default:
      return refuse(opts, 'unsupported_grant_type');
  }
}

/** RFC 7009 §2.2: 200 whether or not the token was known; only a bad client is refused. */
export function handleRevoke(
  opts: TokenEndpointOptions,
  request: { url: URL; form: URLSearchParams; headers: IncomingHttpHeaders },
): Reply {
  const params = opts.params === 'query-or-form' ? mergeParams(request.url.searchParams, request.form) : request.form;
  if (!clientAuthenticated(opts, request.headers, params)) return refuse(opts, 'invalid_client');
  const token = params.get('token');
  if (!token) return refuse(opts, 'invalid_request');
  const known = opts.ledger.revoke(token);
  opts.onRevoked?.({ tokenTypeHint: params.get('token_type_hint') ?? undefined, known });
  return json(200, {}, NO_STORE);
}

/** The grant_type a token request carries, for the calls log. */
export function grantTypeOf(request: { url: URL; form: URLSearchParams }): string | undefined {
  return request.form.get('grant_type') ?? request.url.searchParams.get('grant_type') ?? undefined;
}

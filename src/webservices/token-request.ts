import { AppError, basicCredentials, type ErrorCode } from '../runtime';
import type { GrantType } from './authorize-request';

/** A token endpoint failure, rendered exactly as RFC 6749 §5.2 says; codes and statuses come from the catalogue. */
export type TokenErrorCode = Extract<
  ErrorCode,
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'too_many_attempts'
>;

export class TokenError extends AppError {
  declare readonly code: TokenErrorCode;

  constructor(
    code: TokenErrorCode,
    readonly description: string,
    /** invalid_client after a Basic attempt must answer 401 with a Basic challenge (§5.2). */
    readonly basicChallenge = false,
    /** For too_many_attempts: when the limit resets (the Retry-After header). */
    retryAfterS?: number,
  ) {
    super(code, { message: description, variant: { kind: 'oauth_token' }, ...(retryAfterS === undefined ? {} : { retryAfterS }) });
    this.name = 'TokenError';
  }
}

export type ClientCredentials =
  | { clientId: string; clientSecret: string; method: 'basic' | 'body' }
  /** A public client names itself and proves nothing (RFC 6749 §2.3, §3.2.1): PKCE binds its code. */
  | { clientId: string; method: 'none' };

export type TokenRequest =
  | { grantType: 'authorization_code'; code: string; redirectUri: string; codeVerifier: string | undefined }
  | { grantType: 'refresh_token'; refreshToken: string; scope: string | undefined };

type Form = Record<string, unknown>;

function field(form: Form, name: string): string | undefined {
  const v = form[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TokenError('invalid_request', `${name} must be given once.`);
  return v;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function decodeBasic(header: string): { id: string; secret: string } | undefined {
  const basic = basicCredentials(header);
  if (!basic) return undefined;
  try {
    const plus = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: plus(basic.user), secret: plus(basic.password) };
  } catch {
    return undefined;
  }
}

/** Client authentication: exactly one method (§2.3), Basic, the two form fields, or client_id alone (a public client). */
export function clientCredentials(authorization: string | undefined, form: Form): ClientCredentials {
  const bodyId = field(form, 'client_id');
  const bodySecret = field(form, 'client_secret');
  if (authorization) {
    if (bodySecret !== undefined) throw new TokenError('invalid_request', 'Use one client authentication method, not two.');
    const basic = decodeBasic(authorization);
    if (!basic) throw new TokenError('invalid_client', 'Malformed Basic credentials.', true);
    if (bodyId !== undefined && bodyId !== basic.id) throw new TokenError('invalid_request', 'client_id does not match the Basic credentials.');
    return { clientId: basic.id, clientSecret: basic.secret, method: 'basic' };
  }
  if (!bodyId) throw new TokenError('invalid_client', 'Client authentication is required.', true);
  if (bodySecret === undefined) return { clientId: bodyId, method: 'none' };
  return { clientId: bodyId, clientSecret: bodySecret, method: 'body' };
}

const GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token'];

export function parseTokenRequest(form: Form): TokenRequest {
  const grantType = field(form, 'grant_type');
  if (!grantType) throw new TokenError('invalid_request', 'grant_type is required.');
  if (!GRANTS.includes(grantType as GrantType)) throw new TokenError('unsupported_grant_type', `Unsupported grant_type "${grantType}".`);
  if (grantType === 'authorization_code') {
    const code = field(form, 'code');
    const redirectUri = field(form, 'redirect_uri');
    if (!code) throw new TokenError('invalid_request', 'code is required.');
    if (!redirectUri) throw new TokenError('invalid_request', 'redirect_uri is required.');
    return { grantType, code, redirectUri, codeVerifier: field(form, 'code_verifier') };
  }
  const refreshToken = field(form, 'refresh_token');
  if (!refreshToken) throw new TokenError('invalid_request', 'refresh_token is required.');
  return { grantType: 'refresh_token', refreshToken, scope: field(form, 'scope') };
}

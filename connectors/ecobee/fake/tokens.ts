import { randomBytes, randomInt } from 'node:crypto';
import type { Clock } from './clock';

/**
 * The fake ecobee's OAuth ledger: authorization codes, the grants users gave, and the access and
 * refresh tokens issued under them, with ecobee's refresh and revocation rules (§1). No HTTP here:
 * oauth.ts and api.ts consult it. Section numbers (§) refer to /work/shared/ecobee-api.md.
 */

/** §1.4 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** How /1/* sees a bearer token (§6: 1 unknown, 14 expired/superseded, 16 deauthorized). */
export type AccessCheck = 'ok' | 'unknown' | 'expired' | 'revoked';

export type RefreshOutcome = { ok: true; tokens: TokenResponse } | { ok: false; error: 'invalid_grant' | 'invalid_client' };

export interface TokenStoreOptions {
  clientId: string;
  accessTokenTtlS: number;
  refreshTokenReuse: 'strict' | 'lenient';
  now: Clock;
}

/** One user's consent to one client; deauthorize() revokes it with everything issued under it. */
interface Grant {
  clientId: string;
  scope: string;
  revoked: boolean;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  expiresAt: number;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
  /** Set by a refresh (§1.7: "A token refresh immediately expires the previously issued access token") or expireAccessTokens(). */
  invalidated: boolean;
}

interface RefreshToken {
  grant: Grant;
  /** Presented to a successful refresh before. */
  used: boolean;
  /** Strict mode: dead after its first use (legacy doc text, §1.7). */
  rotatedAway: boolean;
}

/** §1.2 codes are short-lived; ten minutes is the usual OAuth figure. */
export const CODE_TTL_MS = 10 * 60 * 1000;

export class TokenStore {
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly grants: Grant[] = [];
  private stale = 0;

  constructor(private readonly opts: TokenStoreOptions) {}

  get clientId(): string {
    return this.opts.clientId;
  }

  staleRefreshAttempts(): number {
    return this.stale;
  }

  createCode(redirectUri: string, scope: string): string {
    const code = randomAlnum(32); // §2 shows 32 alphanumerics for an authorization code
    this.codes.set(code, { clientId: this.opts.clientId, redirectUri, scope, expiresAt: this.opts.now() + CODE_TTL_MS });
    return code;
  }

  /** Codes are single use: any presentation consumes it, even one that then fails the checks. */
  exchangeCode(code: string, clientId: string, redirectUri: string | undefined): TokenResponse | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt <= this.opts.now()) return undefined;
    if (entry.clientId !== clientId || entry.redirectUri !== redirectUri) return undefined;
    return this.issue({ clientId, scope: entry.scope, revoked: false });
  }

  refresh(refreshToken: string, clientId: string): RefreshOutcome {
    const entry = this.refreshTokens.get(refreshToken);
    if (!entry) return { ok: false, error: 'invalid_grant' };
    if (entry.used) this.stale++;
    if (entry.rotatedAway || entry.grant.revoked) return { ok: false, error: 'invalid_grant' };
    if (entry.grant.clientId !== clientId) return { ok: false, error: 'invalid_grant' };
    entry.used = true;
    entry.rotatedAway = this.opts.refreshTokenReuse === 'strict';
    for (const access of this.accessTokens.values()) {
      if (access.grant === entry.grant) access.invalidated = true;
    }
    return { ok: true, tokens: this.issue(entry.grant) };
  }

  /** A fresh grant without the browser dance, for tests that don't care about OAuth. */
  issueForTest(scope: string): TokenResponse {
    return this.issue({ clientId: this.opts.clientId, scope, revoked: false });
  }

  checkAccess(accessToken: string): AccessCheck {
    const entry = this.accessTokens.get(accessToken);
    if (!entry) return 'unknown';
    if (entry.grant.revoked) return 'revoked';
    if (entry.invalidated || entry.expiresAt <= this.opts.now()) return 'expired';
    return 'ok';
  }

  expireAccessTokens(): void {
    for (const entry of this.accessTokens.values()) entry.invalidated = true;
  }

  /** RFC 7009 §2.1: revoking either token of a grant ends the grant (both tokens). False when unknown. */
  revoke(token: string): boolean {
    const entry = this.refreshTokens.get(token) ?? this.accessTokens.get(token);
    if (!entry) return false;
    entry.grant.revoked = true;
    return true;
  }

  deauthorize(): void {
    for (const grant of this.grants) grant.revoked = true;
  }

  private issue(grant: Grant): TokenResponse {
    if (!this.grants.includes(grant)) this.grants.push(grant);
    const now = this.opts.now();
    const ttlS = this.opts.accessTokenTtlS;
    const access = jwtLike({ scope: grant.scope, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + ttlS });
    // §1.5: refresh tokens "of varying lengths and can contain non-alphanumeric characters", e.g. "v1.X8NZ…".
    const refresh = `v1.${randomBytes(24 + randomInt(16)).toString('base64url')}`;
    this.accessTokens.set(access, { grant, expiresAt: now + ttlS * 1000, invalidated: false });
    this.refreshTokens.set(refresh, { grant, used: false, rotatedAway: false });
    return { access_token: access, token_type: 'Bearer', expires_in: ttlS, refresh_token: refresh, scope: grant.scope };
  }
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

import { randomBytes } from 'node:crypto';
import type { Clock } from './clock';

/**
 * The fake Netatmo's OAuth ledger: authorization codes, the grant the user gave, and the access
 * and refresh tokens issued under it, with Netatmo's rotation (§1.3, §1.4). No HTTP here: oauth.ts
 * and api.ts consult it. Section numbers (§) refer to /work/shared/netatmo-api.md.
 */

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** §1.3 token response: scope is an array, and both expires_in and expire_in are sent. */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  scope: string[];
  expires_in: number;
  expire_in: number;
}

/** How /api/* sees a bearer token (§2.2: 1 missing, 2 invalid, 3 expired). */
export type AccessCheck = { ok: true; userId: string; scope: readonly string[] } | { ok: false; code: 1 | 2 | 3 };

export type RefreshOutcome = { ok: true; tokens: TokenResponse } | { ok: false; error: 'invalid_grant' };

/** One user's consent to the app; deauthorize() revokes it with everything issued under it. */
interface Grant {
  userId: string;
  scope: string[];
  revoked: boolean;
}

interface AuthCode {
  userId: string;
  redirectUri: string;
  scope: string[];
  expiresAt: number;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
  /** "former tokens invalidated" by a refresh (§1.4): the API then says code 2. */
  rotatedAway: boolean;
  /** expireAccessTokens(): the API says code 3. */
  expired: boolean;
}

interface RefreshToken {
  grant: Grant;
  /** Spent by a successful refresh: rotation (§1.4) makes it worthless from then on. */
  rotatedAway: boolean;
}

export const CODE_TTL_MS = 10 * 60 * 1000;

export interface TokenStoreOptions {
  accessTokenTtlS: number;
  now: Clock;
}

export class TokenStore {
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly grants: Grant[] = [];
  private stale = 0;

  constructor(private readonly opts: TokenStoreOptions) {}

  /** Refreshes that presented a refresh token already spent by an earlier refresh. */
  staleRefreshAttempts(): number {
    return this.stale;
  }

  createCode(userId: string, redirectUri: string, scope: string[]): string {
    const code = hex(16);
    this.codes.set(code, { userId, redirectUri, scope, expiresAt: this.opts.now() + CODE_TTL_MS });
    return code;
  }

  /** Codes are single use: any presentation consumes it, even one that then fails the checks. */
  exchangeCode(code: string, redirectUri: string | undefined): TokenResponse | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt <= this.opts.now()) return undefined;
    if (entry.redirectUri !== redirectUri) return undefined;
    return this.issue({ userId: entry.userId, scope: entry.scope, revoked: false });
  }

  /** §1.4: both tokens are renewed and the former ones invalidated. */
  refresh(refreshToken: string): RefreshOutcome {
    const entry = this.refreshTokens.get(refreshToken);
    if (!entry) return { ok: false, error: 'invalid_grant' };
    if (entry.rotatedAway) {
      this.stale++;
      return { ok: false, error: 'invalid_grant' };
    }
    if (entry.grant.revoked) return { ok: false, error: 'invalid_grant' };
    entry.rotatedAway = true;
    for (const access of this.accessTokens.values()) {
      if (access.grant === entry.grant) access.rotatedAway = true;
    }
    return { ok: true, tokens: this.issue(entry.grant) };
  }

  issueForTest(userId: string, scope: string[]): TokenResponse {
    return this.issue({ userId, scope, revoked: false });
  }

  checkAccess(accessToken: string | undefined): AccessCheck {
    if (accessToken === undefined) return { ok: false, code: 1 };
    const entry = this.accessTokens.get(accessToken);
    if (!entry || entry.grant.revoked || entry.rotatedAway) return { ok: false, code: 2 };
    if (entry.expired || entry.expiresAt <= this.opts.now()) return { ok: false, code: 3 };
    return { ok: true, userId: entry.grant.userId, scope: entry.grant.scope };
  }

  expireAccessTokens(): void {
    for (const entry of this.accessTokens.values()) entry.expired = true;
  }

  deauthorize(): void {
    for (const grant of this.grants) grant.revoked = true;
  }

  private issue(grant: Grant): TokenResponse {
    if (!this.grants.includes(grant)) this.grants.push(grant);
    const ttlS = this.opts.accessTokenTtlS;
    // §1.3: "<24-hex>|<32-hex>", the first part being the user's id.
    const access = `${grant.userId}|${hex(16)}`;
    const refresh = `${grant.userId}|${hex(16)}`;
    this.accessTokens.set(access, { grant, expiresAt: this.opts.now() + ttlS * 1000, rotatedAway: false, expired: false });
    this.refreshTokens.set(refresh, { grant, rotatedAway: false });
    return { access_token: access, refresh_token: refresh, scope: [...grant.scope], expires_in: ttlS, expire_in: ttlS };
  }
}

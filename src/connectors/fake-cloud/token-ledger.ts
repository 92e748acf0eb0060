import { createHash, randomBytes } from 'node:crypto';

/**
 * A fake cloud's OAuth ledger, the part every fake used to write again: authorization codes (with
 * their PKCE challenge), the grant a user gave, and the access and refresh tokens issued under it,
 * with rotation on, off or lenient, expiry, revocation and a count of stale refresh tokens presented. No
 * HTTP here: oauth-endpoints.ts and a fake's API routes consult it.
 */

export interface TokenLedgerOptions {
  /** Access-token lifetime. */
  accessTokenTtlS: number;
  /**
   * On: a refresh answers a new refresh token and the presented one dies (Netatmo, Honeywell may).
   * Off: the refresh token stays the same for the grant's life.
   * 'lenient': a refresh answers a new refresh token, yet the presented one keeps working; each
   * reuse still counts as stale (ecobee's current docs, where a client must not rely on either).
   * On and lenient both retire the access tokens issued before the refresh.
   */
  rotation: boolean | 'lenient';
  /** Authorization-code lifetime; 10 minutes by default (RFC 6749 §4.1.2 recommends at most that). */
  codeTtlMs?: number;
  now: () => number;
  /** A new token or code in the cloud's own look (`scope`: the grant's); default 32 random bytes, base64url. */
  mint?: (kind: 'code' | 'access' | 'refresh', subject: string, scope: readonly string[]) => string;
}

/** What a token endpoint answers with, before the cloud's own rendering (tokenBody). */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInS: number;
  scope: readonly string[];
  subject: string;
}

/** Why a refresh or code exchange failed; the endpoint renders each in the cloud's shape. */
export type GrantRefusal = 'unknown' | 'expired' | 'redirect_mismatch' | 'pkce_failed' | 'stale' | 'revoked';

export type GrantOutcome = { ok: true; tokens: IssuedTokens } | { ok: false; refusal: GrantRefusal };

/** How an API route sees a bearer token. */
export type AccessCheck =
  | { ok: true; subject: string; scope: readonly string[] }
  | { ok: false; reason: 'missing' | 'unknown' | 'expired' | 'revoked' | 'rotated' };

export interface CodeRequest {
  subject: string;
  redirectUri: string;
  scope: readonly string[];
  /** The S256 challenge from the authorize request, when the client sent one. */
  codeChallenge?: string | undefined;
}

interface Grant {
  subject: string;
  scope: readonly string[];
  revoked: boolean;
}

interface Code extends CodeRequest {
  expiresAt: number;
}

interface Access {
  grant: Grant;
  expiresAt: number;
  expired: boolean;
  rotatedAway: boolean;
}

interface Refresh {
  grant: Grant;
  rotatedAway: boolean;
  /** Presented to a successful refresh before (what 'lenient' counts as stale). */
  used: boolean;
}

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  return base64url(createHash('sha256').update(verifier).digest()) === challenge;
}

export class TokenLedger {
  private readonly codes = new Map<string, Code>();
  private readonly access = new Map<string, Access>();
  private readonly refreshes = new Map<string, Refresh>();
  private readonly grants = new Set<Grant>();
  private stale = 0;

  constructor(private readonly opts: TokenLedgerOptions) {}

  private mint(kind: 'code' | 'access' | 'refresh', subject: string, scope: readonly string[]): string {
    return this.opts.mint?.(kind, subject, scope) ?? base64url(randomBytes(32));
  }

  createCode(request: CodeRequest): string {
    const code = this.mint('code', request.subject, request.scope);
    this.codes.set(code, { ...request, expiresAt: this.opts.now() + (this.opts.codeTtlMs ?? 600_000) });
    return code;
  }

  /** Codes are single use: any presentation consumes one, even one that then fails the checks. */
  exchangeCode(code: string, redirectUri: string | undefined, codeVerifier: string | undefined): GrantOutcome {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry) return { ok: false, refusal: 'unknown' };
    if (entry.expiresAt <= this.opts.now()) return { ok: false, refusal: 'expired' };
    if (entry.redirectUri !== redirectUri) return { ok: false, refusal: 'redirect_mismatch' };
    if (entry.codeChallenge !== undefined && (codeVerifier === undefined || !pkceMatches(codeVerifier, entry.codeChallenge))) {
      return { ok: false, refusal: 'pkce_failed' };
    }
    return { ok: true, tokens: this.issue({ subject: entry.subject, scope: entry.scope, revoked: false }) };
  }

  refresh(refreshToken: string): GrantOutcome {
    const entry = this.refreshes.get(refreshToken);
    if (!entry) return { ok: false, refusal: 'unknown' };
    if (entry.rotatedAway) {
      this.stale++;
      return { ok: false, refusal: 'stale' };
    }
    const rotation = this.opts.rotation;
    if (rotation === 'lenient' && entry.used) this.stale++;
    if (entry.grant.revoked) return { ok: false, refusal: 'revoked' };
    entry.used = true;
    for (const token of this.access.values()) if (token.grant === entry.grant && rotation !== false) token.rotatedAway = true;
    if (rotation === true) entry.rotatedAway = true;
    return { ok: true, tokens: this.issue(entry.grant, rotation === false ? refreshToken : undefined) };
  }

  checkAccess(accessToken: string | undefined): AccessCheck {
    if (accessToken === undefined || accessToken === '') return { ok: false, reason: 'missing' };
    const entry = this.access.get(accessToken);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.grant.revoked) return { ok: false, reason: 'revoked' };
    if (entry.rotatedAway) return { ok: false, reason: 'rotated' };
    if (entry.expired || entry.expiresAt <= this.opts.now()) return { ok: false, reason: 'expired' };
    return { ok: true, subject: entry.grant.subject, scope: entry.grant.scope };
  }

  /** Tokens for a fresh grant without the browser flow, for tests that do not exercise OAuth. */
  issueForTest(subject: string, scope: readonly string[] = []): IssuedTokens {
    return this.issue({ subject, scope, revoked: false });
  }

  /** Every access token issued so far now answers "expired". */
  expireAccessTokens(): void {
    for (const token of this.access.values()) token.expired = true;
  }

  /** The user revoked the app: every grant, with everything issued under it. */
  deauthorize(): void {
    for (const grant of this.grants) grant.revoked = true;
  }

  /** RFC 7009: revoking either token of a grant revokes the grant. Unknown tokens are ignored. */
  revoke(token: string): boolean {
    const grant = this.refreshes.get(token)?.grant ?? this.access.get(token)?.grant;
    if (!grant) return false;
    grant.revoked = true;
    return true;
  }

  /** Refreshes that presented a refresh token already rotated away: a client that lost a race. */
  staleRefreshAttempts(): number {
    return this.stale;
  }

  /** Grants not revoked: how many linked accounts the fake would still serve. */
  liveGrants(): number {
    return [...this.grants].filter((g) => !g.revoked).length;
  }

  private issue(grant: Grant, keepRefresh?: string): IssuedTokens {
    this.grants.add(grant);
    const ttlS = this.opts.accessTokenTtlS;
    const accessToken = this.mint('access', grant.subject, grant.scope);
    this.access.set(accessToken, { grant, expiresAt: this.opts.now() + ttlS * 1000, expired: false, rotatedAway: false });
    const refreshToken = keepRefresh ?? this.mint('refresh', grant.subject, grant.scope);
    if (!keepRefresh) this.refreshes.set(refreshToken, { grant, rotatedAway: false, used: false });
    return { accessToken, refreshToken, expiresInS: ttlS, scope: grant.scope, subject: grant.subject };
  }
}

import { randomBytes } from 'node:crypto';
import { TokenLedger, type IssuedTokens } from '../../../src/connectors/fake-cloud';
import type { Clock } from './clock';

/**
 * The fake Netatmo's OAuth ledger: the kit's TokenLedger with Netatmo's rules (§1.3, §1.4):
 * rotating refresh tokens that kill the former pair at once, tokens shaped `<user id>|<32 hex>`,
 * and the API's view of a bearer token as codes 1/2/3. Section numbers (§) refer to
 * docs/clouds/netatmo-api.md.
 */

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

export function tokenResponse(tokens: IssuedTokens): TokenResponse {
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    scope: [...tokens.scope],
    expires_in: tokens.expiresInS,
    expire_in: tokens.expiresInS,
  };
}

export interface TokenStoreOptions {
  accessTokenTtlS: number;
  now: Clock;
}

export class TokenStore {
  readonly ledger: TokenLedger;

  constructor(opts: TokenStoreOptions) {
    this.ledger = new TokenLedger({
      accessTokenTtlS: opts.accessTokenTtlS,
      // §1.4: "both tokens are renewed and the former ones invalidated".
      rotation: true,
      now: opts.now,
      // §1.3: "<24-hex>|<32-hex>", the first part being the user's id; codes are plain hex.
      mint: (kind, subject) => (kind === 'code' ? randomBytes(16).toString('hex') : `${subject}|${randomBytes(16).toString('hex')}`),
    });
  }

  createCode(userId: string, redirectUri: string, scope: string[]): string {
    return this.ledger.createCode({ subject: userId, redirectUri, scope });
  }

  checkAccess(accessToken: string | undefined): AccessCheck {
    if (accessToken === undefined) return { ok: false, code: 1 };
    const check = this.ledger.checkAccess(accessToken);
    if (check.ok) return { ok: true, userId: check.subject, scope: check.scope };
    return { ok: false, code: check.reason === 'expired' ? 3 : 2 };
  }

  issueForTest(userId: string, scope: string[]): TokenResponse {
    return tokenResponse(this.ledger.issueForTest(userId, scope));
  }

  staleRefreshAttempts(): number {
    return this.ledger.staleRefreshAttempts();
  }

  expireAccessTokens(): void {
    this.ledger.expireAccessTokens();
  }

  deauthorize(): void {
    this.ledger.deauthorize();
  }

  /** RFC 7009: revoking either token of a grant revokes the grant (the kit's handleRevoke does it over HTTP). */
  revoke(token: string): boolean {
    return this.ledger.revoke(token);
  }
}

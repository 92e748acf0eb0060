import type { Scope } from './scopes';

/** An authorization code as stored (keyed by its hash). */
export interface CodeRecord {
  clientId: string;
  appId: string;
  redirectUri: string;
  scopes: Scope[];
  grantId: string;
  expiresAt: number;
  /** Set on first redemption; a second redemption is an attack or a bug and revokes the grant. */
  usedAt: number | undefined;
}

export type CodeCheck = { ok: true } | { ok: false; reason: 'reused' | 'expired' | 'wrong_client' | 'redirect_mismatch' };

/** RFC 6749 §4.1.3, in the order that matters: reuse is checked first, because it triggers revocation. */
export function checkCode(code: CodeRecord, input: { clientId: string; redirectUri: string; now: number }): CodeCheck {
  if (code.usedAt !== undefined) return { ok: false, reason: 'reused' };
  if (input.now >= code.expiresAt) return { ok: false, reason: 'expired' };
  if (code.clientId !== input.clientId) return { ok: false, reason: 'wrong_client' };
  if (code.redirectUri !== input.redirectUri) return { ok: false, reason: 'redirect_mismatch' };
  return { ok: true };
}

/** A token as stored (keyed by its hash). */
export interface TokenRecord {
  kind: 'access' | 'refresh';
  clientId: string;
  appId: string;
  grantId: string;
  scopes: Scope[];
  expiresAt: number;
}

export type TokenCheck = { ok: true } | { ok: false; reason: 'expired' | 'wrong_client' | 'wrong_kind' };

export function checkToken(token: TokenRecord, input: { kind: TokenRecord['kind']; now: number; clientId?: string }): TokenCheck {
  if (token.kind !== input.kind) return { ok: false, reason: 'wrong_kind' };
  if (input.now >= token.expiresAt) return { ok: false, reason: 'expired' };
  if (input.clientId !== undefined && token.clientId !== input.clientId) return { ok: false, reason: 'wrong_client' };
  return { ok: true };
}

import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../runtime';
import type { Scope } from './scopes';

/** An authorization code as stored (keyed by its hash). */
export interface CodeRecord {
  clientId: string;
  appId: string;
  redirectUri: string;
  scopes: Scope[];
  grantId: string;
  expiresAt: number;
  /** The PKCE S256 challenge of the authorization request, when it had one. */
  codeChallenge: string | undefined;
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

/** RFC 7636 §4.1: 43 to 128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export type PkceCheck = { ok: true } | { ok: false; reason: 'missing_verifier' | 'wrong_verifier' | 'unexpected_verifier' };

/**
 * PKCE at the token endpoint (RFC 7636 §4.6, S256 only). A verifier for a code issued without a
 * challenge is refused too (RFC 9700 §2.1.1): otherwise an attacker could strip the challenge from
 * the request and redeem the code with a verifier of their own.
 */
export function checkPkce(codeChallenge: string | undefined, verifier: string | undefined): PkceCheck {
  if (codeChallenge === undefined) return verifier === undefined ? { ok: true } : { ok: false, reason: 'unexpected_verifier' };
  if (verifier === undefined) return { ok: false, reason: 'missing_verifier' };
  if (!VERIFIER.test(verifier)) return { ok: false, reason: 'wrong_verifier' };
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  return constantTimeEqual(computed, codeChallenge) ? { ok: true } : { ok: false, reason: 'wrong_verifier' };
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

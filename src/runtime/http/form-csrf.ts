import { hmacSha256, hmacSha256Bytes } from '../secrets/hmac';
import { constantTimeEqual } from '../secrets/crypto';

/** The key of one family of forms, derived from SECRET_KEY so every host agrees. */
export function formCsrfKey(secretKey: Buffer, family: string): Buffer {
  return hmacSha256Bytes(secretKey, `form-csrf-key\0${family}`);
}

/**
 * A stateless CSRF token for a page's forms: `<expiresAtMs>.<hmac>`, the HMAC binding what the
 * form may do (`binding`: a purpose, the installation, the operator's session…) and an expiry.
 * Showing a page writes nothing to Redis; every host of a deployment derives the same key.
 * The linking confirmation form has its own (src/linking/linking-csrf.ts, bound to a browser nonce).
 */
export function issueFormCsrf(key: Buffer, binding: readonly string[], expiresAt: number): string {
  return `${expiresAt}.${mac(key, binding, expiresAt)}`;
}

/** True only for an unexpired token issued for exactly this binding. */
export function formCsrfMatches(key: Buffer, binding: readonly string[], presented: unknown, now: number): boolean {
  if (typeof presented !== 'string' || presented.length > 200) return false;
  const dot = presented.indexOf('.');
  const expiresAt = Number(presented.slice(0, dot));
  if (dot <= 0 || !Number.isSafeInteger(expiresAt)) return false;
  // Compared before the expiry check, so a stale token costs the same as a wrong one.
  const matches = constantTimeEqual(presented.slice(dot + 1), mac(key, binding, expiresAt));
  return matches && now < expiresAt;
}

function mac(key: Buffer, binding: readonly string[], expiresAt: number): string {
  return hmacSha256(key, ['form-csrf-v1', ...binding, String(expiresAt)].join('\0'));
}

import { constantTimeEqual, hmacSha256, hmacSha256Bytes } from '../runtime';

/**
 * The CSRF token of the linking confirmation form: `<expiresAtMs>.<hmac>`, where the HMAC binds
 * the browser (its HttpOnly nonce cookie, which another site can neither read nor set), the
 * connector, the installation and an expiry. Stateless, so showing the confirmation page writes
 * nothing to Redis; the key is derived from SECRET_KEY, so every host of a deployment agrees.
 */
export interface CsrfBinding {
  connector: string;
  installationId: string;
  browserNonce: string;
}

export function linkingCsrfKey(secretKey: Buffer): Buffer {
  return hmacSha256Bytes(secretKey, 'linking-csrf-key');
}

function mac(key: Buffer, binding: CsrfBinding, expiresAt: number): string {
  const message = ['v1', binding.connector, binding.installationId, binding.browserNonce, String(expiresAt)].join('\0');
  return hmacSha256(key, message);
}

export function issueLinkingCsrf(key: Buffer, binding: CsrfBinding, expiresAt: number): string {
  return `${expiresAt}.${mac(key, binding, expiresAt)}`;
}

/** True only for an unexpired token issued for this very browser, connector and installation. */
export function linkingCsrfMatches(key: Buffer, binding: CsrfBinding, presented: unknown, now: number): boolean {
  if (typeof presented !== 'string' || presented.length > 200) return false;
  const dot = presented.indexOf('.');
  const expiresAt = Number(presented.slice(0, dot));
  if (dot <= 0 || !Number.isSafeInteger(expiresAt)) return false;
  const expected = mac(key, binding, expiresAt);
  // Compared before the expiry check, so a stale token costs the same as a wrong one.
  const matches = constantTimeEqual(presented.slice(dot + 1), expected);
  return matches && now < expiresAt;
}

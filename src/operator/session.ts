import { randomBytes } from 'node:crypto';
import { constantTimeEqual, hmacSha256, hmacSha256Bytes } from '../runtime';

/**
 * The browser session of the queue dashboard, as a stateless signed cookie:
 * `v1.<expiresAtMs>.<nonce>.<hmac>`. The HMAC key is derived from SECRET_KEY and ADMIN_TOKEN, so
 * the cookie never carries the admin token, any host of the deployment can check it without
 * Redis, and rotating ADMIN_TOKEN signs every session out.
 */
export const ADMIN_SESSION_COOKIE = 'sm_admin';
export const ADMIN_SESSION_TTL_MS = 8 * 3600 * 1000;

const VERSION = 'v1';

export function sessionKey(secretKey: Buffer, adminToken: string): Buffer {
  return hmacSha256Bytes(secretKey, `admin-session-key\0${adminToken}`);
}

function mac(key: Buffer, expiresAt: number, nonce: string): string {
  return hmacSha256(key, `${VERSION}.${expiresAt}.${nonce}`);
}

export function issueSession(key: Buffer, now: number, ttlMs = ADMIN_SESSION_TTL_MS): string {
  const expiresAt = now + ttlMs;
  const nonce = randomBytes(16).toString('base64url');
  return `${VERSION}.${expiresAt}.${nonce}.${mac(key, expiresAt, nonce)}`;
}

/** True only for an unexpired cookie we signed; the signature is compared in constant time. */
export function verifySession(key: Buffer, cookie: string | undefined, now: number): boolean {
  if (!cookie || cookie.length > 200) return false;
  const [version, expires, nonce, signature, ...rest] = cookie.split('.');
  if (version !== VERSION || !expires || !nonce || !signature || rest.length > 0) return false;
  if (!/^\d{1,15}$/.test(expires)) return false;
  const expiresAt = Number(expires);
  const valid = constantTimeEqual(signature, mac(key, expiresAt, nonce));
  return valid && expiresAt > now;
}

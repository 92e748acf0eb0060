import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * The one place for constant-time comparison, HMAC and SHA-256 helpers. It imports only
 * node:crypto, so the connector SDK (which re-exports some of it) opens no connection.
 */

/** Constant-time comparison of two strings of possibly different lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Hashing first gives equal-length inputs, so the length check itself leaks nothing useful.
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * Constant-time comparison of two byte strings whose length is not secret (digests, derived
 * keys, signatures of a fixed shape): different lengths are simply unequal. The dummy comparison
 * keeps that path doing the same work as an equal-length one.
 */
export function constantTimeEqualBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

export type HmacKey = string | Buffer | KeyObject;
type Message = string | Buffer;

/** HMAC-SHA256, raw bytes; a string message is UTF-8. */
export function hmacSha256Bytes(key: HmacKey, message: Message): Buffer {
  return createHmac('sha256', key).update(typeof message === 'string' ? Buffer.from(message, 'utf8') : message).digest();
}

/** HMAC-SHA256 in base64url: our own signed values (cookies, derived tokens). */
export function hmacSha256(key: HmacKey, message: Message): string {
  return hmacSha256Bytes(key, message).toString('base64url');
}

const hmacKeys = new Map<string, KeyObject>();

/**
 * Lower-case hex HMAC-SHA256 of the raw body: the common shape of cloud webhook signatures. The
 * key is imported once per secret (a connector has one), not on every callback.
 */
export function hmacSha256Hex(secret: string, body: Message): string {
  let key = hmacKeys.get(secret);
  if (!key) {
    if (hmacKeys.size >= 16) hmacKeys.clear();
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    hmacKeys.set(secret, key);
  }
  return hmacSha256Bytes(key, body).toString('hex');
}

/** SHA-256, raw bytes; a string is UTF-8. */
export function sha256(data: Message): Buffer {
  return createHash('sha256').update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).digest();
}

export function sha256Base64url(data: Message): string {
  return sha256(data).toString('base64url');
}

import { randomBytes } from 'node:crypto';
import { hmacSha256Bytes } from '../runtime';

/**
 * Standard Webhooks v1 (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of its
 * key bytes; the signature is `v1,` + base64 HMAC-SHA256 over `<id>.<timestamp>.<body>` keyed by
 * those bytes. Receivers verify with any of the reference libraries (`standardwebhooks` on npm).
 */
export const SECRET_PREFIX = 'whsec_';

/** 32 random bytes: the HMAC-SHA256 block-size sweet spot, within the spec's 24–64. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('not a Standard Webhooks secret');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

export function standardSignature(secret: string, id: string, timestampS: number, body: string): string {
  return `v1,${hmacSha256Bytes(keyOf(secret), `${id}.${timestampS}.${body}`).toString('base64')}`;
}

/** The three headers of one attempt; the timestamp is the attempt's, so a retry is not stale for the receiver. */
export function standardHeaders(secret: string, id: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardSignature(secret, id, timestamp, body),
  };
}

import { constantTimeEqualBytes, hmacSha256Bytes } from '../runtime';

/** The header carrying the HMAC-SHA256 of the exact request body, keyed by the subscription secret. */
export const SIGNATURE_HEADER = 'x-sm-signature';

export function signBody(secret: string, body: string): string {
  // Not hmacSha256Hex: its key cache is sized for a connector's one secret, not one per subscription.
  return `sha256=${hmacSha256Bytes(secret, body).toString('hex')}`;
}

/** What a receiver does (and what our tests do): recompute and compare in constant time. */
export function verifyBody(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return constantTimeEqualBytes(expected, given);
}

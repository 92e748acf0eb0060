import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the HMAC-SHA256 of the exact request body, keyed by the subscription secret. */
export const SIGNATURE_HEADER = 'x-sm-signature';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver does (and what our tests do): recompute and compare in constant time. */
export function verifyBody(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

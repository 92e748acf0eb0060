import type { Classification, CloudResponse } from '../../src/connectors/sdk';

/**
 * ecobee answers errors with a `status` object, usually under HTTP 500 (ecobee-api.md §6). We key
 * on `status.code` whatever the HTTP status: 14 → refresh and replay; 1 and 16 → the grant is gone,
 * the user must log in again; 3 (processing error) → transient; the rest are our mistakes.
 */
export function classify(response: CloudResponse): Classification {
  const code = statusCode(response.body);
  if (code === 14) return 'token_expired';
  if (code === 1 || code === 16) return 'reauth_required';
  if (code === 0 && response.status < 400) return 'ok';
  if (code === 3) return 'retry';
  if (code !== undefined) return 'fatal';
  // No ecobee status object: the HTTP status is all we have.
  if (response.status === 401) return 'token_expired';
  // No 429 behaviour is documented (ecobee-api.md §8); if one comes, it is a quota all the same.
  if (response.status === 429) return 'rate_limited';
  if (response.status >= 500) return 'retry';
  if (response.status >= 400) return 'fatal';
  // A 2xx without a status object is not an answer ecobee gives: treat it as a transient glitch.
  return 'retry';
}

function statusCode(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || !('status' in body)) return undefined;
  const status = (body as { status: unknown }).status;
  if (typeof status !== 'object' || status === null || !('code' in status)) return undefined;
  const code = (status as { code: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

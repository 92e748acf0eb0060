import type { Classification, CloudResponse } from '../../src/connectors/sdk';

/**
 * Netatmo overloads 403 (§2.2), so branch on `error.code`: 3 (expired) and 2 (invalid) → refresh
 * once and replay, as Netatmo's own SDK does; 26 (usage limit) and 11 under a 429 (concurrency) are
 * the quota: every worker holds this account's calls until the Retry-After (or a minute).
 */
export function classify(response: CloudResponse): Classification {
  const code = errorCode(response.body);
  if (code === 2 || code === 3) return 'token_expired';
  if (code === 26) return 'rate_limited';
  // 11 is Netatmo's internal error; under a 429 it is the concurrency limit (§2.2).
  if (code === 11) return response.status === 429 ? 'rate_limited' : 'retry';
  if (response.status === 401) return 'token_expired';
  if (response.status === 429) return 'rate_limited';
  if (response.status >= 500) return 'retry';
  if (response.status >= 400) return 'fatal';
  if (isOk(response.body)) return 'ok';
  return 'retry'; // a 2xx without Netatmo's envelope is a glitch, not an answer
}

export function errorCode(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function isOk(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'ok';
}

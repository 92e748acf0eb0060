/** When the cloud gives no Retry-After with its rate-limit answer. */
export const DEFAULT_RATE_PAUSE_MS = 60_000;
/** Longest pause we accept from a Retry-After (a wrong date must not stop an account for days). */
export const MAX_RATE_PAUSE_MS = 3_600_000;

/**
 * RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Anything else (or nothing) is the default pause;
 * the result is clamped to [1 s, MAX_RATE_PAUSE_MS].
 */
export function retryAfterMs(header: string | null | undefined, now: number): number {
  const value = header?.trim() ?? '';
  let ms: number | undefined;
  if (/^\d{1,10}$/.test(value)) ms = Number(value) * 1000;
  else if (value !== '') {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) ms = at - now;
  }
  return Math.min(MAX_RATE_PAUSE_MS, Math.max(1000, ms ?? DEFAULT_RATE_PAUSE_MS));
}

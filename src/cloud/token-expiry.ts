import type { TokenSet } from './provider-token-store';

/** Refresh this long before the provider's stated expiry (openHAB uses 120 s for ecobee). */
export const DEFAULT_REFRESH_MARGIN_MS = 120_000;

/**
 * Should we refresh before using these tokens? Only when we know the expiry and can refresh; a
 * token of unknown lifetime is used until the cloud says it expired.
 */
export function needsProactiveRefresh(tokens: TokenSet, now: number, marginMs = DEFAULT_REFRESH_MARGIN_MS): boolean {
  if (tokens.refreshToken === undefined || tokens.expiresAt === undefined) return false;
  return now >= tokens.expiresAt - marginMs;
}

/** Backoff for retries of a transient refresh failure: 250 ms, 1 s, 4 s … capped. */
export function refreshBackoffMs(attempt: number, capMs = 5_000): number {
  return Math.min(capMs, 250 * 4 ** Math.max(0, attempt - 1));
}

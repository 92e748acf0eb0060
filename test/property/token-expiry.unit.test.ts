import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REFRESH_MARGIN_MS, needsProactiveRefresh, refreshBackoffMs } from '../../src/cloud/token-expiry';
import type { TokenSet } from '../../src/cloud/provider-token-store';
import { RUNS } from './runs';

const tokens = fc.record({
  accessToken: fc.string({ minLength: 1 }),
  refreshToken: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
  expiresAt: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined }),
  scope: fc.constant(undefined),
  tokenType: fc.constant('Bearer'),
}) satisfies fc.Arbitrary<TokenSet>;
const time = fc.integer({ min: 0, max: 2 ** 45 });
const margin = fc.integer({ min: 0, max: 24 * 3_600_000 });

describe('needsProactiveRefresh — property', () => {
  it('needsProactiveRefresh(t, now, margin) => true exactly when a refresh token and an expiry exist and now ≥ expiry − margin', () => {
    fc.assert(
      fc.property(tokens, time, margin, (t, now, m) => {
        const expected = t.refreshToken !== undefined && t.expiresAt !== undefined && now >= t.expiresAt - m;
        expect(needsProactiveRefresh(t, now, m)).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('needsProactiveRefresh(t, later) => once true, stays true as time passes (monotone in now)', () => {
    fc.assert(
      fc.property(tokens, time, fc.nat({ max: 2 ** 40 }), (t, now, dt) => {
        if (needsProactiveRefresh(t, now)) expect(needsProactiveRefresh(t, now + dt)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('needsProactiveRefresh(t, now, bigger margin) => a wider margin never refreshes later', () => {
    fc.assert(
      fc.property(tokens, time, margin, fc.nat({ max: 3_600_000 }), (t, now, m, extra) => {
        if (needsProactiveRefresh(t, now, m)) expect(needsProactiveRefresh(t, now, m + extra)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('needsProactiveRefresh(default margin) => refreshes exactly DEFAULT_REFRESH_MARGIN_MS before expiry, not 1 ms earlier', () => {
    fc.assert(
      fc.property(fc.integer({ min: DEFAULT_REFRESH_MARGIN_MS + 1, max: 2 ** 45 }), (expiresAt) => {
        const t: TokenSet = { accessToken: 'a', refreshToken: 'r', expiresAt, scope: undefined, tokenType: undefined };
        expect(needsProactiveRefresh(t, expiresAt - DEFAULT_REFRESH_MARGIN_MS)).toBe(true);
        expect(needsProactiveRefresh(t, expiresAt - DEFAULT_REFRESH_MARGIN_MS - 1)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('refreshBackoffMs — property', () => {
  it('refreshBackoffMs(attempt, cap) => within [min(250, cap), cap] and never shrinking with the attempt', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 1_000 }), fc.integer({ min: 1, max: 600_000 }), (attempt, cap) => {
        const delay = refreshBackoffMs(attempt, cap);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeLessThanOrEqual(cap);
        expect(delay).toBeGreaterThanOrEqual(Math.min(250, cap));
        expect(refreshBackoffMs(attempt + 1, cap)).toBeGreaterThanOrEqual(delay);
      }),
      { numRuns: RUNS },
    );
  });
});

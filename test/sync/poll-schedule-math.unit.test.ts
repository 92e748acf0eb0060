import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueTooLate, firstDue, jitterOffsetMs, leaseUntil, nextDue, sleepMs, slotAfter } from '../../src/sync/poll-schedule-math';
import { RUNS } from '../property/runs';

const time = fc.integer({ min: 0, max: 2 ** 45 });
const interval = fc.integer({ min: 1, max: 7 * 24 * 3_600_000 });

describe('slotAfter', () => {
  it.each([
    // now, interval, jitter => the first slot strictly after now
    [0, 100, 0, 100],
    [99, 100, 0, 100],
    [100, 100, 0, 200],
    [1_000, 300, 50, 1_250],
    [1_250, 300, 50, 1_550],
    [1_249, 300, 50, 1_250],
    [10, 300, 50, 50],
  ])('slotAfter(%i, %i, jitter %i) => %i', (now, every, jitter, expected) => {
    expect(slotAfter(now, every, jitter)).toBe(expected);
  });

  it('slotAfter(now, 0 or negative) => RangeError (no grid to follow)', () => {
    expect(() => slotAfter(1_000, 0, 0)).toThrow(RangeError);
    expect(() => slotAfter(1_000, -5, 0)).toThrow(RangeError);
  });

  it('slotAfter(now, interval, jitter) => strictly after now, within one interval, on the grid (property)', () => {
    fc.assert(
      fc.property(time, interval, fc.nat(), (now, every, j) => {
        const jitter = j % every;
        const slot = slotAfter(now, every, jitter);
        expect(slot).toBeGreaterThan(now);
        expect(slot).toBeLessThanOrEqual(now + every);
        expect((((slot - jitter) % every) + every) % every).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('nextDue', () => {
  it('nextDue(due + lateness < interval) => due + interval: fixed rate, a late dispatch does not shift the grid (property)', () => {
    fc.assert(
      fc.property(time, interval, fc.string({ minLength: 1 }), fc.nat(), (t, every, id, late) => {
        const due = slotAfter(t, every, jitterOffsetMs(id, every));
        const dispatchedAt = due + (late % every);
        expect(nextDue(dispatchedAt, every, id)).toBe(due + every);
      }),
      { numRuns: RUNS },
    );
  });

  it('nextDue(long after the due time) => the next slot after now: missed polls are made once, never in the past', () => {
    const id = 'inst-1';
    const every = 60_000;
    const due = firstDue(0, every, id);
    const now = due + 10 * every + 5;
    expect(nextDue(now, every, id)).toBeGreaterThan(now);
    expect(nextDue(now, every, id)).toBeLessThanOrEqual(now + every);
    expect((nextDue(now, every, id) - due) % every).toBe(0);
  });

  it('firstDue(id) => the same slot in any process and after a restart (deterministic jitter)', () => {
    expect(firstDue(1_000_000, 180_000, 'inst-a')).toBe(firstDue(1_000_000, 180_000, 'inst-a'));
    expect(jitterOffsetMs('inst-a', 180_000)).toBe(jitterOffsetMs('inst-a', 180_000));
  });

  it('jitterOffsetMs => installations spread over the interval, not in lock-step', () => {
    const offsets = new Set(Array.from({ length: 1_000 }, (_, i) => Math.floor(jitterOffsetMs(`inst-${i}`, 180_000) / 18_000)));
    expect(offsets.size).toBe(10); // every tenth of the interval holds some
  });
});

describe('leases and sleeps', () => {
  it('leaseUntil(now, lease) => now + lease: due again to any dispatcher once passed', () => {
    expect(leaseUntil(1_000, 30_000)).toBe(31_000);
  });

  it.each([
    // earliest, now, min, max => sleep
    [undefined, 1_000, 100, 1_000, 1_000],
    [1_500, 1_000, 100, 1_000, 500],
    [9_000, 1_000, 100, 1_000, 1_000],
    [1_050, 1_000, 100, 1_000, 100],
    [900, 1_000, 100, 1_000, 100],
    [900, 1_000, 0, 1_000, 0],
  ])('sleepMs(earliest %s, now %i, min %i, max %i) => %i', (earliest, now, min, max, expected) => {
    expect(sleepMs(earliest, now, min, max)).toBe(expected);
  });

  it.each([
    // due, now, interval, lease => too late
    [1_000 + 60_000, 1_000, 60_000, 0, false],
    [1_000 + 60_001, 1_000, 60_000, 0, true],
    [1_000 + 90_000, 1_000, 60_000, 30_000, false],
    [0, 1_000, 60_000, 0, false],
  ])('dueTooLate(%i, now %i, every %i, lease %i) => %s', (due, now, every, lease, expected) => {
    expect(dueTooLate(due, now, every, lease)).toBe(expected);
  });
});

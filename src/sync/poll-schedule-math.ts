import { createHash } from 'node:crypto';

/**
 * The arithmetic of poll schedules, apart from Redis (poll-schedule-store.ts) and the dispatcher's
 * loop (poll-dispatcher.ts). An installation polled every `interval` ms is due on a fixed grid of
 * slots, `jitter + k·interval`, where the jitter derives from its id: installations spread over
 * the interval instead of polling in lock-step, and a restart (or a second process) computes the
 * same slots, so it does not move them.
 */

/** Where an installation's slots sit within the interval: deterministic, from its id. */
export function jitterOffsetMs(installationId: string, intervalMs: number): number {
  const n = createHash('sha256').update(installationId).digest().readUInt32BE(0);
  return n % intervalMs;
}

/** The first slot strictly after `now`: a new schedule's first due time, and every next one. */
export function slotAfter(now: number, intervalMs: number, jitterMs: number): number {
  if (!(intervalMs > 0)) throw new RangeError(`poll interval must be positive, got ${intervalMs}`);
  const k = Math.floor((now - jitterMs) / intervalMs) + 1;
  return jitterMs + k * intervalMs;
}

/**
 * The due time after a dispatch at `now`: fixed rate (the slot after the one just dispatched, so a
 * dispatcher a little late does not shift the grid), and never in the past: a poll missed while no
 * dispatcher ran (or while it fell more than an interval behind) is made once, not once per missed slot.
 */
export function nextDue(now: number, intervalMs: number, installationId: string): number {
  return slotAfter(now, intervalMs, jitterOffsetMs(installationId, intervalMs));
}

/** A new schedule's first due time: its next slot (linking polls at once besides). */
export const firstDue = nextDue;

/**
 * A claimed entry's score while its poll is being queued: if the claiming process dies before it
 * sets the next due time, the entry is due again (to any dispatcher) once the lease has passed.
 */
export function leaseUntil(now: number, leaseMs: number): number {
  return now + leaseMs;
}

/**
 * Whether a stored due time no longer fits the configured interval (POLL_INTERVAL_S changed, or a
 * schedule migrated from elsewhere): later than one interval (plus a lease, as a claimed entry's
 * score is) from now. An earlier due time is fine: it is dispatched and then follows the grid.
 */
export function dueTooLate(due: number, now: number, intervalMs: number, leaseMs: number): boolean {
  return due > now + intervalMs + leaseMs;
}

/**
 * How long the dispatcher sleeps after a round: until the earliest entry is due (a lease that
 * expires counts), at most `maxMs`, and at least `minMs`: entries fall due all the time in a large
 * fleet, and gathering a tenth of a second's worth into one round keeps its three round trips
 * from being spent on a handful of polls. (A round that left a full batch goes again at once; the
 * dispatcher decides that.)
 */
export function sleepMs(earliest: number | undefined, now: number, minMs: number, maxMs: number): number {
  if (earliest === undefined) return maxMs;
  return Math.max(minMs, Math.min(maxMs, earliest - now));
}

import { expect } from 'vitest';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { figures, runFailoverBurst, type FailoverBurstOptions, type FailoverBurstResult } from '../helpers/failover-burst';
import type { FailoverTopologyKind } from '../helpers/failover-topology';

/** Callbacks in a burst (FAULT_BURST to shorten a local run). */
export const BURST = Number(process.env['FAULT_BURST'] ?? 500);
/**
 * "Back by itself": the first acknowledgement after the promotion, and the last refusal, within
 * this of the promotion. About recovery, not speed: the clients only have to notice the new primary.
 */
export const BACK_WITHIN_MS = 10_000;

/**
 * One failover burst on `topology`, with what every failover test asserts: nothing acknowledged
 * lost, only 200 or 503 + Retry-After, no refusal before the kill, every callback accepted in the
 * end, back within BACK_WITHIN_MS of the promotion. The caller adds its own checks on the result.
 */
export async function failoverScenario(
  topology: FailoverTopologyKind,
  netatmo: FakeNetatmo,
  options: Omit<FailoverBurstOptions, 'netatmo' | 'topology' | 'burst' | 'killAfterAcks'>,
): Promise<FailoverBurstResult> {
  const result = await runFailoverBurst({ ...options, netatmo, topology, burst: BURST, killAfterAcks: Math.floor(BURST / 5) });
  // eslint-disable-next-line no-console
  console.info(result.report);
  const f = figures(result);
  expect(result.lost, `acknowledged but never applied: ${result.report}`).toEqual([]);
  expect(f.statuses.filter((s) => s !== '200' && s !== '503'), result.report).toEqual([]);
  expect(f.refusedWithoutRetryAfter, result.report).toBe(0);
  expect(f.refusedBeforeKill, result.report).toBe(0);
  // Every callback was accepted in the end: the service came back without a restart of anything.
  expect(result.acked.length, result.report).toBe(BURST);
  expect(f.backAfterPromotionMs, result.report).toBeLessThan(BACK_WITHIN_MS);
  expect(f.lastRefusalAfterPromotionMs ?? 0, result.report).toBeLessThan(BACK_WITHIN_MS);
  return result;
}

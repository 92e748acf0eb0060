import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { BURST, failoverScenario } from './failover-scenario';

/**
 * The primary of a real Sentinel group is SIGKILLed during a burst of webhooks (and, in the last
 * run, one of the two worker processes with it); the killed server is started again once a
 * replica was promoted (it comes back believing it is a primary until the sentinels demote it:
 * the moment writes used to go astray). Every answer is 200 or 503 + Retry-After (never a 500,
 * never a hang); the "cloud" retries each refused callback until it is accepted, so the service
 * must start accepting again by itself, and soon after the promotion; every acknowledged
 * callback is applied, by the surviving worker when the other was killed.
 *
 * The scenario body takes the topology as a parameter: a Cluster run is the same calls with
 * topology 'cluster' once failover-topology.ts can start one.
 *
 * Not in the main suite: when the kill lands, and what was replicated by then, vary by run.
 */

let netatmo: FakeNetatmo;
beforeAll(async () => {
  netatmo = await startNetatmoKitFake();
});
afterAll(async () => {
  await netatmo?.stop();
});

const scenario = (options: Parameters<typeof failoverScenario>[2]) => failoverScenario('sentinel', netatmo, options);

/**
 * Acknowledging on the primary alone (REDIS_ACK_REPLICAS=0) is loss-free across a failover only with
 * the servers set as README asks (min-replicas-to-write 1): a killed primary restarted before every
 * sentinel has switched comes back believing it is a primary, and a client sent to it by a sentinel
 * that has not switched yet writes there until it is demoted, which wipes those writes. Measured
 * without the setting: 3 of 38 runs lost 70–382 acknowledged webhooks. With it, that server refuses
 * writes (NOREPLICAS → our 503) until it is a replica.
 */
const PRIMARY_ONLY = { ackReplicas: 0, minReplicasToWrite: 1 } as const;

it(`primary SIGKILLed during ${BURST} webhooks (and restarted), acknowledged on the primary (min-replicas-to-write 1) => only 200 or 503 + Retry-After, back within 10 s of the promotion by itself, every acknowledged webhook applied`, async () => {
  await scenario({ ...PRIMARY_ONLY, workers: 2, killWorker: false });
}, 90_000);

it(`the same with REDIS_ACK_REPLICAS=1 (WAIT before the acknowledgement) and no min-replicas-to-write on the servers`, async () => {
  await scenario({ ackReplicas: 1, workers: 2, killWorker: false });
}, 90_000);

it(`primary and one of two worker processes SIGKILLed at the same moment during ${BURST} webhooks => the surviving worker applies every acknowledged webhook`, async () => {
  const result = await scenario({ ...PRIMARY_ONLY, workers: 2, killWorker: true });
  expect(result.killedWorkerSignal).toBe('SIGKILL');
  // The dead worker left work mid-flight, and the survivor finished it (nothing lost, above).
  expect(result.orphanedByKilledWorker, result.report).toBeGreaterThan(0);
}, 90_000);

it(`the only worker process and the primary SIGKILLed at the same moment, a new worker started at once (into the outage) => it applies every acknowledged webhook`, async () => {
  const result = await scenario({ ...PRIMARY_ONLY, workers: 1, killWorker: true, replaceKilledWorker: true });
  expect(result.killedWorkerSignal).toBe('SIGKILL');
  expect(result.orphanedByKilledWorker, result.report).toBeGreaterThan(0);
}, 90_000);

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import { pollJobInstallation } from '../../src/sync/poll-queue';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { FaultProxy, type ProxyFault } from '../helpers/fault-proxy';
import { listDevices } from '../helpers/faults';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { NEUTRAL_CONNECTOR, neutralConnectors } from '../helpers/neutral-host';

/**
 * The cloud hangs, or answers 500, for one installation only (a proxy in front of the fake picks
 * its requests by bearer token): its polls time out or fail and back off, while the other
 * installation of the same connector keeps being polled; once the cloud behaves, it catches up.
 * Deterministic: every step waits for a condition.
 */

const TIMEOUT_MS = 1_000;
let fake: FakeAcme;
let proxy: FaultProxy;
let host: HostCore;
let workers: RunningWorkers;

beforeEach(async () => {
  fake = await FakeAcme.start();
  proxy = await FaultProxy.start(fake.url);
  host = await startHostCore({
    fakes: { [NEUTRAL_CONNECTOR]: { url: proxy.url, clientId: fake.clientId, clientSecret: fake.clientSecret } },
    connectors: await neutralConnectors(),
    env: { POLL_INTERVAL_S: '1', HTTP_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
  workers = startWorkers(host.services, { concurrency: 4 });
});
afterEach(async () => {
  await workers.close();
  await host.close();
  await proxy.stop();
  await fake.stop();
});

async function linkWithAllDevices(): Promise<{ id: string; bearer: string }> {
  const inst = await link({ ...host, fake }, undefined, NEUTRAL_CONNECTOR);
  const ids = fake.deviceIds();
  const put = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ids }) });
  expect(put.status).toBe(200);
  const stored = await host.services.tokens.get(inst.id);
  if (!stored) throw new Error('no tokens after linking');
  return { id: inst.id, bearer: `Bearer ${stored.tokens.accessToken}` };
}

const temperatureOf = async (installationId: string, externalId: string) =>
  (await listDevices(host, installationId)).find((d) => d.externalId === externalId)?.attributes['temperature'];

const failedPollsOf = async (installationId: string) =>
  (await host.services.scheduler.queue.getJobs(['delayed', 'failed', 'waiting'])).filter(
    (j) => j !== undefined && pollJobInstallation(j.data) === installationId && j.attemptsMade > 0,
  );

describe('cloud faults for one installation', () => {
  it.each([
    ['hangs', { kind: 'hang' } as ProxyFault, new RegExp(`no answer within ${TIMEOUT_MS} ms`)],
    ['answers 500', { kind: 'status', status: 500 } as ProxyFault, /transient failure \(HTTP 500\)/],
  ])('cloud %s for one installation => its polls fail and back off; the other keeps being polled; it catches up once the cloud is back', async (_name, fault, reason) => {
    const sick = await linkWithAllDevices();
    const healthy = await linkWithAllDevices();
    expect(sick.bearer).not.toBe(healthy.bearer);
    const thermostat = fake.deviceIds()[0];
    if (!thermostat) throw new Error('no device');

    proxy.failWhen((authorization) => authorization === sick.bearer, fault);
    const faultFrom = proxy.calls.length;
    fake.update(thermostat, { temperature: 65.5 });

    // The healthy installation sees the change, and keeps being polled, while the other suffers.
    await eventually(async () => (await temperatureOf(healthy.id, thermostat)) === 65.5, 'the healthy installation to be polled', 30_000);
    const sickCalls = () => proxy.calls.slice(faultFrom).filter((c) => c.authorization === sick.bearer);
    await eventually(async () => sickCalls().length > 0, 'the sick installation to call the cloud', 30_000);
    const healthyPollsBefore = proxy.calls.filter((c) => c.authorization === healthy.bearer).length;
    const failed = await eventually(async () => {
      const jobs = await failedPollsOf(sick.id);
      return jobs.find((j) => reason.test(j?.failedReason ?? '')) ?? undefined;
    }, 'a failed poll of the sick installation', 30_000);
    expect(failed.attemptsMade).toBeGreaterThanOrEqual(1);
    // Backoff, not a tight loop: the retry is delayed (5 s, doubling), not immediately rerun.
    expect(['delayed', 'failed']).toContain(await failed.getState());
    await eventually(
      async () => proxy.calls.filter((c) => c.authorization === healthy.bearer).length >= healthyPollsBefore + 3,
      'three more polls of the healthy installation while the other is failing',
      30_000,
    );
    expect(await temperatureOf(sick.id, thermostat)).not.toBe(65.5);
    if (fault.kind === 'hang') {
      // The host gave up each hung call itself (its timeout), rather than leaving it open.
      await eventually(async () => sickCalls().some((c) => c.abandonedAt !== undefined), 'a hung call to be abandoned', 30_000);
      for (const c of sickCalls().filter((x) => x.abandonedAt !== undefined)) {
        expect((c.abandonedAt ?? 0) - c.startedAt).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      }
    } else {
      expect(sickCalls().every((c) => c.outcome === 500)).toBe(true);
    }

    // The cloud recovers: the sick installation catches up on its own (scheduled polls or retries).
    proxy.clear();
    await eventually(async () => (await temperatureOf(sick.id, thermostat)) === 65.5, 'the sick installation to catch up', 45_000);
    expect((await listDevices(host, sick.id)).length).toBe(fake.deviceIds().length);
  }, 120_000);
});

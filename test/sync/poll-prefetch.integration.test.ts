import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHostCore, startTestHost, type HostCore, type TestHost } from '../helpers/host';
import { createInstallation, eventually, link } from '../helpers/link';
import { keyNames } from '../helpers/key-names';
import { syncInstallation } from '../../src/sync/sync-installation';
import { RateGate } from '../../src/cloud/rate-gate';
import { startWorkers } from '../../src/runtime/workers';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';

/**
 * Issue 16.4: a poll whose job names its connector asks for its first cloud call's admission and
 * tokens in the lock's round trip. What that must not change: the concurrency slot it reserved is
 * given back whenever no call uses it (lock busy, installation gone or unlinked), a paused account
 * is still not called, and an unchanged poll still makes one call and leaves no lease behind.
 */

let host: TestHost;
beforeEach(async () => {
  host = await startTestHost();
});
afterEach(async () => {
  await host.close();
});

const summaryCalls = () => host.fake.calls.filter((c) => c.path === '/1/thermostatSummary').length;
const leases = (id: string) => host.inspect.zcard(keyNames(host.services.keys).cloudLeases(id));

async function linkedAndPolled(): Promise<string> {
  const inst = await link(host);
  const res = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['311000000001'] }) });
  expect(res.status).toBe(200);
  await syncInstallation(host.services, inst.id, { connector: 'ecobee' });
  return inst.id;
}

describe('a poll that names its connector', () => {
  it('unchanged => one cloud call with the prefetched admission and tokens, no lease left', async () => {
    const id = await linkedAndPolled();
    const before = summaryCalls();
    await expect(syncInstallation(host.services, id, { connector: 'ecobee' })).resolves.toEqual({ kind: 'unchanged' });
    expect(summaryCalls() - before).toBe(1);
    await eventually(async () => (await leases(id)) === 0, 'the lease to be given back');
  });

  it('the lock busy for many attempts (more than ecobee allows in flight) => each admission given back; the poll then runs', async () => {
    const id = await linkedAndPolled();
    const lockKey = keyNames(host.services.keys).syncLock(id);
    // Another holder for ~0.6 s: the poll retries every 25 ms, each attempt reserving a slot. Kept,
    // those would fill ecobee's 2 slots and the poll's own call would be refused as busy.
    await host.inspect.set(lockKey, 'another-holder', 'PX', 600);
    await expect(syncInstallation(host.services, id, { connector: 'ecobee' })).resolves.toEqual({ kind: 'unchanged' });
    await eventually(async () => (await leases(id)) === 0, 'every reserved slot to be given back');
  });

  it('an installation that is not linked or is gone => skipped without calling the cloud, its slot given back', async () => {
    const pending = await createInstallation(host);
    const before = summaryCalls();
    await expect(syncInstallation(host.services, pending.id, { connector: 'ecobee' })).resolves.toEqual({ kind: 'skipped', reason: 'not_linked' });
    await expect(syncInstallation(host.services, 'no-such-installation', { connector: 'ecobee' })).resolves.toEqual({ kind: 'skipped', reason: 'not_found' });
    expect(summaryCalls()).toBe(before);
    await eventually(async () => (await leases(pending.id)) + (await leases('no-such-installation')) === 0, 'the slots to be given back');
  });

  it("the account paused by the cloud's 429 => the poll fails as retryable without calling the cloud", async () => {
    const id = await linkedAndPolled();
    await new RateGate(host.services.redis, host.services.keys).pause({ installationId: id, connector: 'ecobee' }, 'account', 60_000);
    const before = summaryCalls();
    await expect(syncInstallation(host.services, id, { connector: 'ecobee' })).rejects.toMatchObject({ code: 'cloud_unavailable' });
    expect(summaryCalls()).toBe(before);
    expect(await leases(id)).toBe(0);
  });

  it('a job naming a connector that is not the installation\'s => polled with its own connector, the reserved slot given back', async () => {
    const id = await linkedAndPolled();
    const before = summaryCalls();
    await expect(syncInstallation(host.services, id, { connector: 'netatmo-not-enabled' })).resolves.toEqual({ kind: 'unchanged' });
    expect(summaryCalls() - before).toBe(1);
    await eventually(async () => (await leases(id)) === 0, 'no lease left');
  });
});

describe('a connector with account budgets (netatmo: 50 per 10 s, 500 per hour)', () => {
  let core: HostCore & { fake: FakeNetatmo };
  afterEach(async () => {
    await core.close();
    await core.fake.stop();
  });

  it('the lock busy for many attempts => no attempt keeps a budget token: the poll spends what an unhindered poll spends', async () => {
    const fake = await startNetatmoKitFake();
    core = { ...(await startHostCore({ fakes: { netatmo: fake } })), fake };
    const inst = await link(core, await createInstallation(core, 'home-1', 'netatmo'), 'netatmo');
    const k = keyNames(core.services.keys);
    // The hour's bucket: "tokens ts"; its refill (500 per hour) only lowers what a poll appears to spend.
    const tokens = async () => Number(((await core.inspect.get(k.rateBucket(`inst:${inst.id}`, 3_600_000))) ?? '500 0').split(' ')[0]);
    await syncInstallation(core.services, inst.id, { connector: 'netatmo' });
    const t0 = await tokens();
    await syncInstallation(core.services, inst.id, { connector: 'netatmo' });
    const unhindered = t0 - (await tokens());
    expect(unhindered).toBeGreaterThan(0.5);
    // Another holder for ~0.4 s: the poll retries every 25 ms.
    await core.inspect.set(k.syncLock(inst.id), 'another-holder', 'PX', 400);
    const t1 = await tokens();
    await syncInstallation(core.services, inst.id, { connector: 'netatmo' });
    expect(t1 - (await tokens())).toBeLessThanOrEqual(unhindered + 0.01);
    await eventually(async () => (await core.inspect.zcard(k.cloudLeases(inst.id))) === 0, 'every reserved slot to be given back');
  });
});

describe('the poll hook reads the subscription state in the poll\'s round trip', () => {
  let core: HostCore & { fake: FakeNetatmo };
  afterEach(async () => {
    await core.close();
    await core.fake.stop();
  });

  it('the cloud refused the webhook registration at linking => the catch-up poll registers it', async () => {
    const fake = await startNetatmoKitFake();
    core = { ...(await startHostCore({ fakes: { netatmo: fake } })), fake };
    const workers = startWorkers(core.services, { concurrency: 2 });
    try {
      fake.failNext('addwebhook', { kind: 'status', status: 500 });
      const inst = await link(core, await createInstallation(core, 'home-1', 'netatmo'), 'netatmo');
      const state = () => core.inspect.hget(keyNames(core.services.keys).installation(inst.id), 'webhookState');
      await eventually(async () => (await state()) === 'subscribed', 'the registration retried by the poll after linking');
      expect(fake.webhookUrl()).toBeDefined();
    } finally {
      await workers.close();
    }
  });
});

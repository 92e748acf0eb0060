import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostCore, startTestHost, type HostCore, type TestHost } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { syncInstallation } from '../../src/sync/sync-installation';
import { RateGate, type GateSpec } from '../../src/cloud/rate-gate';
import { rateKeys } from '../../src/cloud/rate-keys';

/**
 * Issue 16.4: the client id's pause is copied into every partition, so a connector without
 * application-wide budgets (ecobee) admits with one script in the installation's slot. Two hosts on
 * one Redis prefix stand for two worker processes; every call is counted at the fake cloud.
 */

let one: TestHost;
let two: HostCore;
let a: string;
let b: string;

const summaryCalls = () => one.fake.calls.filter((c) => c.path === '/1/thermostatSummary').length;

async function linkedAndPolled(): Promise<string> {
  const inst = await link(one);
  const res = await one.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['311000000001'] }) });
  expect(res.status).toBe(200);
  await syncInstallation(one.services, inst.id, { connector: 'ecobee' });
  return inst.id;
}

beforeAll(async () => {
  const env = { KEY_PREFIX: `test-${randomUUID()}`, SECRET_KEY: randomBytes(32).toString('hex') };
  one = await startTestHost({ env });
  two = await startHostCore({ fakes: { ecobee: one.fake }, env });
  a = await linkedAndPolled();
  const partitions = one.services.keys.partitions;
  // Another installation, in another partition (a few links at most: 16 partitions).
  for (;;) {
    b = await linkedAndPolled();
    if (partitions.of(b) !== partitions.of(a)) break;
  }
});
afterAll(async () => {
  await two.close();
  await one.close();
});

describe("the client id's pause, copied into every partition", () => {
  it("paused through one process (installation A) => the other process's poll of B, in another partition, is refused without a cloud call; the pause's end lets it run", async () => {
    const k = rateKeys(one.services.keys);
    await new RateGate(one.services.redis, one.services.keys).pause({ installationId: a, connector: 'ecobee' }, 'application', 60_000);
    // The copy alone is the check for ecobee (no application-wide budget): without the client id's
    // own key the poll is refused just the same.
    await one.inspect.del(k.ratePause('app:ecobee'));
    const before = summaryCalls();
    await expect(syncInstallation(two.services, b, { connector: 'ecobee' })).rejects.toMatchObject({ code: 'cloud_unavailable' });
    await expect(syncInstallation(two.services, a, { connector: 'ecobee' })).rejects.toMatchObject({ code: 'cloud_unavailable' });
    expect(summaryCalls()).toBe(before);
    // The pause ends (as its PX would end it): every copy goes, and the poll calls the cloud again.
    await one.inspect.del(...one.services.keys.partitions.all().map((p) => k.appPauseCopyOf('ecobee', p)));
    await expect(syncInstallation(two.services, b, { connector: 'ecobee' })).resolves.toEqual({ kind: 'unchanged' });
    expect(summaryCalls()).toBe(before + 1);
  });

  it('every copy carries the pause\'s PX and expires with it', async () => {
    const k = rateKeys(one.services.keys);
    const gate = new RateGate(one.services.redis, one.services.keys);
    await gate.pause({ installationId: a, connector: 'ecobee' }, 'application', 30_000);
    const copies = one.services.keys.partitions.all().map((p) => k.appPauseCopyOf('ecobee', p));
    expect(copies).toHaveLength(one.services.keys.partitions.count);
    for (const key of [k.ratePause('app:ecobee'), ...copies]) {
      const ttl = await one.inspect.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    }
    // A short pause: every copy is gone when it ends, and B's poll runs.
    await gate.pause({ installationId: a, connector: 'ecobee' }, 'application', 50);
    await eventually(async () => (await one.inspect.exists(k.ratePause('app:ecobee'), ...copies)) === 0, 'the pause and its copies to expire');
    await expect(syncInstallation(two.services, b, { connector: 'ecobee' })).resolves.toEqual({ kind: 'unchanged' });
  });
});

describe('which scripts run', () => {
  const spec = (over: Partial<GateSpec> = {}): GateSpec => ({
    installationId: randomUUID(),
    connector: `acme-${randomUUID().slice(0, 8)}`,
    maxConcurrent: 5,
    limits: [{ requests: 3, windowMs: 600_000, per: 'account' }],
    leaseMs: 60_000,
    ...over,
  });

  it('no application-wide budget => one script, in the account\'s slot (queued on the caller\'s pipeline)', async () => {
    const gate = new RateGate(one.services.redis, one.services.keys);
    const pipeline = one.services.redis.pipeline();
    const queued = gate.queueAdmit(pipeline, spec(), 'lease', Date.now());
    expect(queued.commands).toBe(1);
    await expect(queued.settle((await pipeline.exec()) ?? [])).resolves.toEqual({ admitted: true });
  });

  it('an application-wide budget => both scripts: the client id\'s budget refuses and the account\'s token and lease are given back', async () => {
    const gate = new RateGate(one.services.redis, one.services.keys);
    const k = rateKeys(one.services.keys);
    const limits = [
      { requests: 3, windowMs: 600_000, per: 'account' as const },
      { requests: 1, windowMs: 600_000, per: 'application' as const },
    ];
    const s = spec({ limits });
    const pipeline = one.services.redis.pipeline();
    const queued = gate.queueAdmit(pipeline, s, 'a', Date.now());
    expect(queued.commands).toBe(2);
    await expect(queued.settle((await pipeline.exec()) ?? [])).resolves.toEqual({ admitted: true });
    const now = Date.now();
    expect((await gate.admitWith(s, 'b', now)).admission).toMatchObject({ admitted: false, reason: 'busy' });
    // The account's token is back: 2 left of 3 (plus the refill of the milliseconds between the calls, 3 per 600 s).
    const [tokens] = ((await one.inspect.get(k.rateBucket(`inst:${s.installationId}`, 600_000))) ?? '').split(' ');
    expect(Number(tokens)).toBeGreaterThanOrEqual(2);
    expect(Number(tokens)).toBeLessThan(2.01);
    expect(await one.inspect.zrange(k.cloudLeases(s.installationId), '0', '-1')).toEqual(['a']);
  });

  it("a pause only at the client id's own key (as a process older than the copies writes it): honoured where the client id's script runs, not seen by the account's script alone (the rolling-upgrade caveat)", async () => {
    const gate = new RateGate(one.services.redis, one.services.keys);
    const k = rateKeys(one.services.keys);
    const connector = `acme-${randomUUID().slice(0, 8)}`;
    await one.inspect.set(k.ratePause(`app:${connector}`), '1', 'PX', 60_000);
    const withBudget = spec({ connector, limits: [{ requests: 10, windowMs: 600_000, per: 'application' }] });
    expect((await gate.admitWith(withBudget, 'x', Date.now())).admission).toMatchObject({ admitted: false, reason: 'pause' });
    expect(await one.inspect.exists(k.cloudLeases(withBudget.installationId))).toBe(0);
    expect((await gate.admitWith(spec({ connector }), 'y', Date.now())).admission).toEqual({ admitted: true });
  });

  it('an account pause and the copy of the application\'s: the longer one is the wait', async () => {
    const gate = new RateGate(one.services.redis, one.services.keys);
    const s = spec();
    await gate.pause(s, 'account', 5_000);
    await gate.pause(s, 'application', 50_000);
    const admission = (await gate.admitWith(s, 'z', Date.now())).admission;
    expect(admission).toMatchObject({ admitted: false, reason: 'pause' });
    expect(admission.admitted === false && admission.waitMs).toBeGreaterThan(5_000);
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeEcobee } from '../../connectors/ecobee/fake/server';
import { startCluster, type RedisCluster } from '../helpers/cluster';
import { startHostCore, type HostCore } from '../helpers/host';
import { link } from '../helpers/link';
import { topologyEnv } from '../helpers/redis-client';
import { syncInstallation } from '../../src/sync/sync-installation';
import { RateGate } from '../../src/cloud/rate-gate';
import { rateKeys } from '../../src/cloud/rate-keys';

/**
 * Issue 16.4 on a real Redis Cluster (3 primaries + 3 replicas): the client id's pause, set through
 * one process, holds another process's poll of an installation in another partition (another slot,
 * likely another primary), read from that partition's copy by the account's script alone: ecobee
 * declares no application-wide quota, so no script runs in the client id's slot.
 */

let cluster: RedisCluster;
let ecobee: FakeEcobee;
let one: HostCore;
let two: HostCore;
let a: string;
let b: string;

const summaryCalls = () => ecobee.calls.filter((c) => c.path === '/1/thermostatSummary').length;

async function linkedAndPolled(): Promise<string> {
  const inst = await link({ ...one, fake: ecobee });
  const res = await one.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['311000000001'] }) });
  expect(res.status).toBe(200);
  await syncInstallation(one.services, inst.id, { connector: 'ecobee' });
  return inst.id;
}

beforeAll(async () => {
  cluster = await startCluster();
  ecobee = await FakeEcobee.start();
  const env = { ...topologyEnv(cluster.topology), KEY_PREFIX: `test-${randomUUID()}`, SECRET_KEY: randomBytes(32).toString('hex') };
  one = await startHostCore({ fakes: { ecobee }, env });
  two = await startHostCore({ fakes: { ecobee }, env });
  a = await linkedAndPolled();
  const partitions = one.services.keys.partitions;
  for (;;) {
    b = await linkedAndPolled();
    if (partitions.of(b) !== partitions.of(a)) break;
  }
}, 120_000);
afterAll(async () => {
  // Their cleanup deletes keys with one DEL, which a Cluster refuses across slots: the cluster goes anyway.
  await two?.close().catch(() => two?.inspect.disconnect());
  await one?.close().catch(() => one?.inspect.disconnect());
  await ecobee?.stop();
  await cluster?.stop();
});

it("the client id paused through one process => the other's poll of an installation in another partition is refused without a cloud call, by the partition's copy; it runs once the copies are gone", async () => {
  expect(two.services.redis.isCluster).toBe(true);
  const k = rateKeys(one.services.keys);
  await new RateGate(one.services.redis, one.services.keys).pause({ installationId: a, connector: 'ecobee' }, 'application', 60_000);
  const copies = one.services.keys.partitions.all().map((p) => k.appPauseCopyOf('ecobee', p));
  for (const key of copies) {
    const ttl = await one.inspect.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  }
  // The client id's own key gone: the copy alone holds the poll.
  await one.inspect.del(k.ratePause('app:ecobee'));
  const before = summaryCalls();
  await expect(syncInstallation(two.services, b, { connector: 'ecobee' })).rejects.toMatchObject({ code: 'cloud_unavailable' });
  expect(summaryCalls()).toBe(before);
  for (const key of copies) await one.inspect.del(key);
  await expect(syncInstallation(two.services, b, { connector: 'ecobee' })).resolves.toEqual({ kind: 'unchanged' });
  expect(summaryCalls()).toBe(before + 1);
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeEcobee } from '../../connectors/ecobee/fake/server';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { listDevices, netatmoSetpoint, readEvents } from '../helpers/faults';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { toolClient, topologyEnv } from '../helpers/redis-client';
import { startSentinelGroup, type SentinelGroup } from '../helpers/sentinel';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/spawn-worker';

/**
 * The flows on a real Sentinel group (1 primary, 2 replicas, 3 sentinels): a host configured with
 * REDIS_SENTINELS only, and real workers in a child process configured the same way, link
 * installations through the fake clouds, poll, and apply webhooks. Failover is in
 * test/faults/sentinel-failover.fault.test.ts.
 */

let group: SentinelGroup;
let ecobee: FakeEcobee;
let netatmo: FakeNetatmo;
let host: HostCore;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  group = await startSentinelGroup();
  ecobee = await FakeEcobee.start();
  netatmo = await startNetatmoKitFake();
  host = await startHostCore({ fakes: { ecobee, netatmo }, env: { ...topologyEnv(group.topology), POLL_INTERVAL_S: '1' } });
  worker = await spawnWorkerProcess(host);
  await worker.ready;
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await host?.close();
  await Promise.all([ecobee?.stop(), netatmo?.stop()]);
  await group?.stop();
});

it('REDIS_SENTINELS => the host and the worker process reach the primary through the sentinels, never REDIS_URL', async () => {
  expect(host.config.redisUrl).toBeUndefined();
  expect(host.config.redisTopology?.kind).toBe('sentinel');
  expect(host.services.connections.describe()).toMatch(/^sentinel smtest via 127\.0\.0\.1:\d+/);
  // What the host wrote is on the primary and replicated: read it straight from a replica.
  const primary = await group.primaryPort();
  expect(primary).toBe(group.servers[0]?.port);
  const roles = await host.services.redis.role();
  expect(roles[0]).toBe('master');
});

it('on Sentinel: link Ecobee through its fake cloud, select devices, the poll worker keeps them; link Netatmo and its webhooks are applied', async () => {
  const thermostats = await link({ ...host, fake: ecobee });
  const discovered = (await (await host.admin(`/api/installations/${thermostats.id}/discovered`)).json()) as Array<{ externalId: string }>;
  expect(discovered.length).toBeGreaterThan(0);
  expect(
    (await host.admin(`/api/installations/${thermostats.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: discovered.map((d) => d.externalId) }) })).status,
  ).toBe(200);
  expect((await listDevices(host, thermostats.id)).length).toBe(discovered.length);
  // The worker process polls it (every second here): the cloud's new temperature reaches the device.
  const target = ecobee.thermostats()[0];
  if (!target) throw new Error('no thermostat');
  ecobee.setRuntime(target.identifier, { actualTemperature: 655 });
  await eventually(async () => {
    const d = (await listDevices(host, thermostats.id)).find((x) => x.externalId === target.identifier);
    return d?.attributes['temperature'] === 65.5 || undefined;
  }, 'a poll by the worker process', 20_000);

  const rooms = await link({ ...host, fake: netatmo }, undefined, 'netatmo');
  const home = netatmo.homes()[0];
  if (!home) throw new Error('no home');
  const externalIds = home.rooms.map((r) => `${home.id}.${r.id}`);
  expect((await host.admin(`/api/installations/${rooms.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: externalIds }) })).status).toBe(200);
  const devices = await listDevices(host, rooms.id);
  const byId = new Map(devices.map((d) => [d.id, d.externalId]));
  const callback = await eventually(async () => netatmo.webhookUrl(), 'the netatmo webhook registration', 20_000);
  const baseline = (await readEvents(host, rooms.id)).next;

  const sent: string[] = [];
  for (let i = 0; i < 10; i++) {
    const room = home.rooms[i % home.rooms.length];
    if (!room) throw new Error('no room');
    const temperature = (150 + i) / 10;
    const { body, signature } = netatmoSetpoint(netatmo.clientSecret, home.id, room.id, temperature);
    const res = await fetch(callback, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-netatmo-secret': signature } });
    expect(res.status).toBe(200);
    sent.push(`${home.id}.${room.id}=${temperature}`);
  }
  await eventually(
    async () => {
      const seen = new Set<string>();
      for (const e of (await readEvents(host, rooms.id, baseline)).events) {
        const value = (e.data['changed'] as Record<string, unknown> | undefined)?.['heatingSetpoint'];
        if (e.type === 'device.stateChanged' && e.deviceId && typeof value === 'number') seen.add(`${byId.get(e.deviceId)}=${value}`);
      }
      return sent.every((s) => seen.has(s)) || undefined;
    },
    'every webhook applied by the worker process',
    20_000,
  );

  // Written on the primary, replicated to both replicas (asynchronously: wait for them).
  const replicas = group.servers.slice(1);
  const installationKeys = await host.inspect.keys(`${host.config.keyPrefix}:*`);
  expect(installationKeys.length).toBeGreaterThan(0);
  const sample = installationKeys[0] ?? '';
  for (const replica of replicas) {
    const client = toolClient(`redis://127.0.0.1:${replica.port}`);
    try {
      await eventually(async () => (await client.exists(sample)) === 1 || undefined, `key replicated to ${replica.port}`);
    } finally {
      client.disconnect();
    }
  }
});

it('REDIS_ACK_REPLICAS: 2 (both replicas up) => 200 once WAIT confirms; 3 (only 2 exist) => 503 + Retry-After, never a 2xx', async () => {
  const inst = await link({ ...host, fake: netatmo }, undefined, 'netatmo');
  const callback = new URL(await eventually(async () => netatmo.webhookUrl(), 'the netatmo webhook registration', 20_000));
  expect(callback.pathname).toContain(inst.id);
  const home = netatmo.homes()[0];
  const room = home?.rooms[0];
  if (!home || !room) throw new Error('no room');
  // Hosts of the same deployment (key prefix, secret key) that differ only in REDIS_ACK_REPLICAS.
  const shared = { KEY_PREFIX: host.config.keyPrefix, SECRET_KEY: host.config.secretKey.toString('hex'), ...topologyEnv(group.topology) };
  const post = async (h: HostCore, temperature: number) => {
    const { body, signature } = netatmoSetpoint(netatmo.clientSecret, home.id, room.id, temperature);
    return fetch(`${h.url}${callback.pathname}${callback.search}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-netatmo-secret': signature } });
  };
  const two = await startHostCore({ fakes: { ecobee, netatmo }, env: { ...shared, REDIS_ACK_REPLICAS: '2' } });
  const three = await startHostCore({ fakes: { ecobee, netatmo }, env: { ...shared, REDIS_ACK_REPLICAS: '3' } });
  try {
    expect((await post(two, 18.5)).status).toBe(200);
    const refused = await post(three, 19.5);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refused.json()).toMatchObject({ error: 'service_unavailable' });
  } finally {
    // Not close(): that would delete the shared prefix's keys under the main host.
    for (const h of [two, three]) {
      await h.services.webhooks.close();
      await h.services.scheduler.close();
      await h.services.callbackTokens.close();
      h.services.missedDeliveries.close();
      h.services.redis.disconnect();
      h.inspect.disconnect();
    }
  }
});

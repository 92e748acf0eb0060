import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeEcobee } from '../../connectors/ecobee/fake/server';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { startCluster, type RedisCluster } from '../helpers/cluster';
import { listDevices, netatmoSetpoint, readEvents } from '../helpers/faults';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { topologyEnv } from '../helpers/redis-client';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/spawn-worker';
import { slotOwner } from '../helpers/failover-topology';

/**
 * The flows on a real Redis Cluster (3 primaries + 3 replicas, test/helpers/cluster.ts): a host
 * configured with REDIS_CLUSTER_NODES only, and real workers in a child process configured the
 * same way, link installations through the fake clouds, poll, apply webhooks, read the merged
 * event log and uninstall. Installations spread over the primaries by their partitions.
 */

let cluster: RedisCluster;
let ecobee: FakeEcobee;
let netatmo: FakeNetatmo;
let host: HostCore;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  cluster = await startCluster();
  ecobee = await FakeEcobee.start();
  netatmo = await startNetatmoKitFake();
  host = await startHostCore({ fakes: { ecobee, netatmo }, env: { ...topologyEnv(cluster.topology), POLL_INTERVAL_S: '1' } });
  worker = await spawnWorkerProcess(host);
  await worker.ready;
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  // Its cleanup deletes keys with one DEL, which a Cluster refuses across slots: the cluster goes anyway.
  await host?.close().catch(() => host?.inspect.disconnect());
  await Promise.all([ecobee?.stop(), netatmo?.stop()]);
  await cluster?.stop();
});

it('REDIS_CLUSTER_NODES => the host and the worker process run on the Cluster, BullMQ under one hash-tagged prefix', () => {
  expect(host.config.redisUrl).toBeUndefined();
  expect(host.config.redisTopology?.kind).toBe('cluster');
  expect(host.services.connections.describe()).toMatch(/^cluster 127\.0\.0\.1:\d+/);
  expect(host.services.redis.isCluster).toBe(true);
  expect(host.services.keys.bullPrefix).toBe(`${host.config.keyPrefix}:{${host.config.keyPrefix}:bull}`);
});

it('on the Cluster: link Ecobee, select devices, the worker process polls them; link Netatmo and its webhooks are applied; the event log merges the partitions; uninstall', async () => {
  const thermostats = await link({ ...host, fake: ecobee });
  const discovered = (await (await host.admin(`/api/installations/${thermostats.id}/discovered`)).json()) as Array<{ externalId: string }>;
  expect(discovered.length).toBeGreaterThan(0);
  expect(
    (await host.admin(`/api/installations/${thermostats.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: discovered.map((d) => d.externalId) }) })).status,
  ).toBe(200);
  expect((await listDevices(host, thermostats.id)).length).toBe(discovered.length);
  const target = ecobee.thermostats()[0];
  if (!target) throw new Error('no thermostat');
  // Polled by its schedule: an entry in its partition's sorted set, queued by the worker process's dispatcher.
  expect(await host.services.scheduler.isScheduled(thermostats.id)).toBe(true);
  ecobee.setRuntime(target.identifier, { actualTemperature: 655 });
  await eventually(async () => {
    const d = (await listDevices(host, thermostats.id)).find((x) => x.externalId === target.identifier);
    return d?.attributes['temperature'] === 65.5 || undefined;
  }, 'a poll by the worker process', 30_000);

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
    30_000,
  );

  // Every installation's events, merged from the partitions, page by page: each once.
  const all: Array<{ id: string; installationId: string }> = [];
  let after: string | undefined;
  for (;;) {
    const page = (await (await host.admin(`/api/events?limit=7${after ? `&after=${after}` : ''}`)).json()) as { events: Array<{ id: string; installationId: string }>; next: string | null };
    if (page.events.length === 0) break;
    all.push(...page.events);
    after = page.next ?? undefined;
  }
  expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  expect(new Set(all.map((e) => e.installationId))).toEqual(new Set([thermostats.id, rooms.id]));

  // The poll went through the thermostats' partition's poll queue, the webhooks through the rooms'
  // partition's webhook queue (BullMQ's event stream of each queue lives under its prefix).
  const { scheduler, webhooks } = host.services;
  expect(scheduler.queue.of(thermostats.id).toKey('')).toContain(host.services.keys.partitions.tag(host.services.keys.partitions.of(thermostats.id)));
  expect(await host.inspect.exists(scheduler.queue.of(thermostats.id).toKey('events'))).toBe(1);
  expect(await host.inspect.exists(webhooks.queue.of(rooms.id).toKey('events'))).toBe(1);

  for (const inst of [thermostats, rooms]) expect((await host.admin(`/api/installations/${inst.id}`, { method: 'DELETE' })).status).toBe(204);
  expect((await host.admin(`/api/installations/${thermostats.id}`)).status).toBe(404);
  // The schedule entries (in each installation's partition slot) went with them.
  for (const inst of [thermostats, rooms]) expect(await host.services.scheduler.isScheduled(inst.id)).toBe(false);
  const events = (await (await host.admin(`/api/events?limit=1000`)).json()) as { events: Array<{ type: string; installationId: string }> };
  expect(events.events.filter((e) => e.type === 'installation.uninstalled').map((e) => e.installationId).sort()).toEqual([thermostats.id, rooms.id].sort());
});

it('on the Cluster: the poll and webhook queues of the partitions spread over the primaries, each in its partition\'s slot', async () => {
  const { keys, scheduler, webhooks } = host.services;
  const owners = new Map<number, number>();
  for (const k of keys.partitions.all()) {
    const poll = await slotOwner(cluster.nodes, scheduler.queue.at(k).toKey('wait'));
    const webhook = await slotOwner(cluster.nodes, webhooks.queue.at(k).toKey('wait'));
    // One slot per partition: its queues sit with its installations' keys (e.g. its schedule set).
    const schedule = await slotOwner(cluster.nodes, `${keys.partitions.space(k)}:poll-due:x`);
    expect(poll.primary).toBe(schedule.primary);
    expect(webhook.primary).toBe(schedule.primary);
    owners.set(k, poll.primary);
  }
  const primaries = new Set(owners.values());
  // 16 partitions over 3 primaries: every primary holds some (1 - 3·(2/3)^16 ≈ 99.5% for a random
  // prefix; 2 of 3 at the very least), where the single queue put all of them on one.
  expect(primaries.size).toBeGreaterThanOrEqual(2);
  const live = await cluster.primaryPorts();
  for (const p of primaries) expect(live).toContain(p);
});

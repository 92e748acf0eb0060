import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEvents } from '../helpers/faults';
import { dumpKeys } from '../helpers/host';
import { eventually, link, type LinkedInstallation } from '../helpers/link';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { syncInstallation } from '../../src/sync/sync-installation';
import { keyNames } from '../helpers/key-names';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

interface Device {
  id: string;
  externalId: string;
  name: string;
  label: string;
  type: string;
  attributes: Record<string, unknown>;
}
interface Event {
  cursor: string;
  type: string;
  deviceId?: string;
  data: Record<string, unknown>;
}

let host: NeutralHost;
let workers: RunningWorkers[];
let inst: LinkedInstallation;

beforeEach(async () => {
  host = await startNeutralHost();
  workers = [startWorkers(host.services, { concurrency: 4 })];
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await host.close();
});

const api = (path: string, init?: RequestInit) => host.admin(`/api/installations/${inst.id}${path}`, init);
const devices = async () => ((await (await api('/devices')).json()) as { items: Device[] }).items;
const events = async (after?: string) =>
  ((await (await api(`/events${after ? `?after=${after}` : ''}`)).json()) as { events: Event[] }).events;
const select = (ids: string[]) => api('/settings', { method: 'PUT', body: JSON.stringify({ devices: ids }) });

/** Asks for a poll through the API and waits until the worker has applied what we expect. */
async function pollUntil<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  expect((await api('/poll', { method: 'POST' })).status).toBe(202);
  return eventually(check, what);
}

describe('discovery and selection', () => {
  it('GET /discovered => the three devices of the account', async () => {
    const res = await api('/discovered');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { externalId: 'dev-1', name: 'Living room', type: 'thermostat' },
      { externalId: 'dev-2', name: 'Bedroom', type: 'thermostat' },
      { externalId: 'dev-3', name: 'Kitchen', type: 'thermostat' },
    ]);
  });

  it('PUT /settings with two of three => exactly two child devices, with initial attributes at once', async () => {
    const res = await select(['dev-1', 'dev-2']);
    expect(res.status).toBe(200);
    const list = await devices();
    expect(list.map((d) => d.externalId).sort()).toEqual(['dev-1', 'dev-2']);
    const living = list.find((d) => d.externalId === 'dev-1');
    expect(living).toMatchObject({ name: 'Living room', label: 'Living room', type: 'thermostat' });
    expect(living?.attributes).toEqual({ temperature: 20.5, humidity: 41, heatingSetpoint: 20, thermostatMode: 'auto', temperatureUnit: 'C' });
    expect(living?.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const inst2 = (await (await api('')).json()) as { deviceCount: number };
    expect(inst2.deviceCount).toBe(2);
    expect((await events()).filter((e) => e.type === 'device.added')).toHaveLength(2);
  });

  it('PUT /settings with an unknown id => 400, selection and devices unchanged', async () => {
    await select(['dev-1']);
    const res = await select(['dev-1', 'nope']);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('nope');
    expect((await devices()).map((d) => d.externalId)).toEqual(['dev-1']);
  });

  it('PUT /settings with a malformed body => 400', async () => {
    expect((await api('/settings', { method: 'PUT', body: JSON.stringify({ devices: 'all' }) })).status).toBe(400);
  });

  it('deselect => device removed with an event; re-select => back under the same id', async () => {
    await select(['dev-1', 'dev-2']);
    const before = await devices();
    await select(['dev-1']);
    expect((await devices()).map((d) => d.externalId)).toEqual(['dev-1']);
    expect((await events()).some((e) => e.type === 'device.removed')).toBe(true);
    await select(['dev-1', 'dev-2']);
    const again = await devices();
    expect(again.find((d) => d.externalId === 'dev-2')?.id).toBe(before.find((d) => d.externalId === 'dev-2')?.id);
  });

  it('DELETE /devices/:id => removed and deselected: a poll does not bring it back', async () => {
    await select(['dev-1', 'dev-2']);
    const target = (await devices()).find((d) => d.externalId === 'dev-2');
    expect((await api(`/devices/${target?.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/devices/${target?.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await (await api('/settings')).json()) as { devices: string[] }).toEqual({ devices: ['dev-1'] });
    host.fake.rename('dev-1', 'Den'); // moves the revision: the poll lists again
    await pollUntil(async () => (await devices()).find((d) => d.name === 'Den'), 'rename after delete');
    expect((await devices()).map((d) => d.externalId)).toEqual(['dev-1']);
  });
});

describe('polling through BullMQ workers', () => {
  beforeEach(async () => {
    expect((await select(['dev-1', 'dev-2'])).status).toBe(200);
  });

  it('rename in the cloud => device renamed after a poll, same id, label follows, event emitted', async () => {
    const before = (await devices()).find((d) => d.externalId === 'dev-2');
    host.fake.rename('dev-2', 'Attic');
    const after = await pollUntil(async () => (await devices()).find((d) => d.name === 'Attic'), 'the rename');
    expect(after.id).toBe(before?.id);
    expect(after.label).toBe('Attic');
    const renamed = (await events()).find((e) => e.type === 'device.renamed');
    expect(renamed).toMatchObject({ deviceId: before?.id, data: { from: 'Bedroom', to: 'Attic' } });
  });

  it('device removed from the cloud => device removed after a poll, event emitted', async () => {
    const gone = (await devices()).find((d) => d.externalId === 'dev-2');
    host.fake.remove('dev-2');
    await pollUntil(async () => (await devices()).length === 1, 'the removal');
    expect((await events()).find((e) => e.type === 'device.removed')).toMatchObject({ deviceId: gone?.id });
  });

  it('state change in the cloud => attributes updated, device.stateChanged with only the changed values', async () => {
    host.fake.update('dev-1', { temperature: 22.5, mode: 'heat' });
    const d = await pollUntil(
      async () => (await devices()).find((x) => x.externalId === 'dev-1' && x.attributes['temperature'] === 22.5),
      'the new temperature',
    );
    expect(d.attributes['thermostatMode']).toBe('heat');
    const changed = (await events()).find((e) => e.type === 'device.stateChanged');
    expect(changed?.data).toEqual({ changed: { temperature: 22.5, thermostatMode: 'heat' } });
  });

  it('unchanged cloud => the connector says so and the poll reads only the change marker', async () => {
    await syncInstallation(host.services, inst.id); // settles the cursor
    const before = host.fake.calls.length;
    const outcome = await syncInstallation(host.services, inst.id);
    expect(outcome.kind).toBe('unchanged');
    expect(host.fake.calls.slice(before).map((c) => c.path)).toEqual(['/v1/revision']);
  });

  it('cloud returns 500 during a poll => nothing removed, devices intact', async () => {
    host.fake.failNext('devices', { kind: 'status', status: 500 }, 10);
    host.fake.rename('dev-1', 'X');
    await expect(syncInstallation(host.services, inst.id)).rejects.toMatchObject({ code: 'cloud_unavailable' });
    expect(await devices()).toHaveLength(2);
  });

  it('command round trip => the fake cloud holds the new setpoint, the device follows after a sync', async () => {
    const d = (await devices()).find((x) => x.externalId === 'dev-1');
    const res = await api(`/devices/${d?.id}/commands`, {
      method: 'POST',
      body: JSON.stringify({ command: 'setHeatingSetpoint', arguments: [21.5] }),
    });
    expect(res.status).toBe(202);
    expect(host.fake.device('dev-1')?.setpoint).toBe(21.5);
    await eventually(
      async () => (await devices()).find((x) => x.externalId === 'dev-1' && x.attributes['heatingSetpoint'] === 21.5),
      'the setpoint to sync',
    );
  });

  it('a second command, and one after the other => each applied in the fake cloud', async () => {
    const d = (await devices()).find((x) => x.externalId === 'dev-1');
    const send = (command: string, args: unknown[]) =>
      api(`/devices/${d?.id}/commands`, { method: 'POST', body: JSON.stringify({ command, arguments: args }) });
    expect((await send('setThermostatMode', ['cool'])).status).toBe(202);
    expect(host.fake.device('dev-1')?.mode).toBe('cool');
    expect((await send('setHeatingSetpoint', [18])).status).toBe(202);
    expect(host.fake.device('dev-1')).toMatchObject({ mode: 'cool', setpoint: 18 });
  });

  it('unknown command or bad arguments => 400, nothing sent to the cloud', async () => {
    const d = (await devices()).find((x) => x.externalId === 'dev-1');
    const before = host.fake.calls.length;
    const send = (body: unknown) => api(`/devices/${d?.id}/commands`, { method: 'POST', body: JSON.stringify(body) });
    const unknown = await send({ command: 'selfDestruct', arguments: [] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_command' });
    for (const args of [[], ['68'], [68, 70], [200], [null]]) {
      const bad = await send({ command: 'setHeatingSetpoint', arguments: args });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: 'invalid_arguments' });
    }
    expect((await send({ command: 'setThermostatMode', arguments: ['warp'] })).status).toBe(400);
    expect((await send({ command: 'toString', arguments: [] })).status).toBe(400);
    expect(host.fake.calls.length).toBe(before);
    expect((await api('/devices/nope/commands', { method: 'POST', body: JSON.stringify({ command: 'setThermostatMode', arguments: ['cool'] }) })).status).toBe(404);
  });

  it('two workers and two direct syncs racing on one installation => no duplicates, same result as once', async () => {
    workers.push(startWorkers(host.services, { concurrency: 4 }));
    host.fake.rename('dev-1', 'Hall');
    host.fake.add({ id: 'dev-4', name: 'Garage' });
    await Promise.all([
      syncInstallation(host.services, inst.id),
      syncInstallation(host.services, inst.id),
      api('/poll', { method: 'POST' }),
    ]);
    await select(['dev-1', 'dev-2', 'dev-4']);
    await Promise.all([syncInstallation(host.services, inst.id, { full: true }), syncInstallation(host.services, inst.id, { full: true })]);
    const list = await devices();
    expect(list.map((d) => d.externalId).sort()).toEqual(['dev-1', 'dev-2', 'dev-4']);
    const all = await events();
    expect(all.filter((e) => e.type === 'device.added')).toHaveLength(3);
    expect(all.filter((e) => e.type === 'device.renamed')).toHaveLength(1);
  });
});

describe('events', () => {
  it('GET /events?after=cursor => only what follows, in order; bad cursor => 400', async () => {
    await select(['dev-1']);
    const first = await events();
    expect(first.map((e) => e.type)).toEqual(['installation.linked', 'device.added']);
    await select([]);
    const next = await events(first.at(-1)?.cursor);
    expect(next.map((e) => e.type)).toEqual(['device.removed']);
    expect((await api('/events?after=garbage')).status).toBe(400);
  });

  it('GET /events among 5,000 newer events of another installation of its partition => pages with fewer events carry `next` on; `next` unchanged once caught up', async () => {
    await select(['dev-1']);
    const page = async (after?: string) =>
      (await (await api(`/events?limit=10${after ? `&after=${after}` : ''}`)).json()) as { events: Event[]; next: string | null };
    const first = await page();
    expect(first.events.map((e) => e.type)).toEqual(['installation.linked', 'device.added']);
    // Caught up: the same cursor comes back.
    expect(await page(first.next ?? undefined)).toEqual({ events: [], next: first.next });

    const { partitions } = host.services.keys;
    let busy = randomUUID();
    while (partitions.of(busy) !== partitions.of(inst.id)) busy = randomUUID();
    for (let i = 0; i < 12; i++) {
      await host.services.events.append(Array.from({ length: 500 }, (_, n) => ({ type: 'device.stateChanged' as const, installationId: busy, deviceId: 'd', data: { n: i * 500 + n } })));
    }
    await select([]);
    // One request examines at most 5,000 entries: the first page finds none of ours, and says where to go on.
    const stopped = await page(first.next ?? undefined);
    expect(stopped.events).toEqual([]);
    expect(stopped.next).not.toBe(first.next);
    const rest = await page(stopped.next ?? undefined);
    expect(rest.events.map((e) => e.type)).toEqual(['device.removed']);
    expect(await page(rest.next ?? undefined)).toEqual({ events: [], next: rest.next });
    // A stream id this log did not issue (one of the installation's own stream, from before) is a position in time.
    const fromOld = await page(`${Number(first.events[1]!.cursor.split('-')[0]) - 1}-7`);
    expect(fromOld.events.map((e) => e.type)).toContain('device.added');
    // The helper the fault tests use reads through such pages.
    expect((await readEvents(host, inst.id)).events.map((e) => e.type)).toEqual(['installation.linked', 'device.added', 'device.removed']);
  });
});

describe('uninstall', () => {
  it('DELETE /api/installations/:id => devices removed with events, no key names the installation, no scheduled job', async () => {
    await select(['dev-1', 'dev-2']);
    await api('/poll', { method: 'POST' });
    // A stream of its own, as a process of layout 2 still running after the upgrade would write: it goes too.
    const legacyStream = keyNames(host.services.keys).legacyInstallationEvents(inst.id);
    await host.inspect.xadd(legacyStream, '*', 'type', 'device.added', 'installationId', inst.id);
    // A failed job record of this installation must go too.
    await host.services.scheduler.queue.of(inst.id).add('poll', { installationId: inst.id, reason: 'manual' }, { attempts: 1 });
    const { locationId } = (await (await api('')).json()) as { locationId: string };
    expect(await host.services.scheduler.isScheduled(inst.id)).toBe(true);
    const res = await api('', { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await host.services.scheduler.isScheduled(inst.id)).toBe(false);
    const naming = [...(await dumpKeys(host))]
      .filter(([key, value]) => !/:\{[^}]+:p\d+\}:events$/.test(key) && `${key} ${value}`.includes(inst.id))
      .map(([key]) => key);
    expect(naming).toEqual([]);
    expect(await host.inspect.exists(legacyStream)).toBe(0);
    const global = ((await (await host.admin('/api/events')).json()) as { events: Event[] }).events.map((e) => e.type);
    expect(global.filter((t) => t === 'device.removed')).toHaveLength(2);
    expect(global.at(-1)).toBe('installation.uninstalled');
    expect((await api('', { method: 'DELETE' })).status).toBe(404);
    const again = await host.admin('/api/installations', {
      method: 'POST',
      body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId }),
    });
    expect(again.status).toBe(201);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHostCore, type HostCore } from '../helpers/host';
import { createInstallation, eventually, link, type LinkedInstallation } from '../helpers/link';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { manualSetpointPush, signature } from '../../connectors/netatmo/fake/push';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';

type Host = HostCore & { fake: FakeNetatmo };
let host: Host;
let workers: RunningWorkers | undefined;
let clock: number;

async function start(options: { workers?: boolean; env?: Record<string, string> } = {}) {
  const fake = await startNetatmoKitFake();
  const core = await startHostCore({ fakes: { netatmo: fake }, now: () => clock, ...(options.env ? { env: options.env } : {}) });
  host = { ...core, fake };
  workers = options.workers === false ? undefined : startWorkers(core.services, { concurrency: 4 });
}

beforeEach(async () => {
  clock = Date.now();
  await start();
});
afterEach(async () => {
  await workers?.close();
  await host.close();
  await host.fake.stop();
});

const firstRoom = () => {
  const home = host.fake.homes()[0];
  const room = home?.rooms[0];
  if (!home || !room) throw new Error('fake has no rooms');
  return { homeId: home.id, roomId: room.id, externalId: `${home.id}.${room.id}` };
};

async function linkAndSelect(): Promise<{ inst: LinkedInstallation; callback: string }> {
  const inst = await link(host, undefined, 'netatmo');
  const res = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: [firstRoom().externalId] }) });
  expect(res.status).toBe(200);
  const callback = await eventually(async () => host.fake.webhookUrl(), 'addwebhook');
  return { inst, callback };
}

const sign = (body: string, secret = host.fake.clientSecret) => signature(secret, body);
const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-netatmo-secret': sign(body), ...headers } });
const setpointBody = (temperature: number) => {
  const { homeId, roomId } = firstRoom();
  return manualSetpointPush({ userId: host.fake.userId, homeId, roomId, temperature });
};
/** The device_event message Netatmo sends next to each display_change (netatmo-api.md §3.4). */
const twinBody = (temperature: number) => {
  const { homeId, roomId } = firstRoom();
  return JSON.stringify({
    extra_params: { device_type: 'NAPlug', event_type: 'setpoint_event', mode: 'manual', room_id: roomId, temperature, therm_measured_temperature: 19.8 },
    push_type: 'device_event', device_id: '70:ee:50:00:00:01', home_id: homeId,
  });
};
const queued = async () => {
  const c = await host.services.webhooks.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  return Object.values(c).reduce((a, b) => a + b, 0);
};
const device = async (inst: LinkedInstallation) =>
  ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ attributes: Record<string, unknown> }> }).items[0];

describe('POST /connectors/:connector/webhooks/:installationId — hostile input first', () => {
  it('webhook without a token, with a wrong token, or for an unknown installation => 401, the same answer, nothing queued', async () => {
    const { callback } = await linkAndSelect();
    await workers?.close();
    workers = undefined;
    const before = await queued();
    const url = new URL(callback);
    const noToken = `${url.origin}${url.pathname}`;
    const wrong = `${noToken}?access_token=${'x'.repeat(43)}`;
    const unknown = `${url.origin}/connectors/netatmo/webhooks/00000000-0000-4000-8000-000000000000${url.search}`;
    const answers = [];
    for (const u of [noToken, wrong, unknown]) {
      const res = await post(u, setpointBody(20));
      answers.push([res.status, await res.text()]);
    }
    expect(answers.map((a) => a[0])).toEqual([401, 401, 401]);
    expect(new Set(answers.map((a) => a[1])).size).toBe(1);
    expect(await queued()).toBe(before);
  });

  it('right after an accepted callback (token remembered), a wrong token of the same length => 401, nothing queued', async () => {
    const { callback } = await linkAndSelect();
    await workers?.close();
    workers = undefined;
    expect((await post(callback, setpointBody(20))).status).toBe(200);
    const before = await queued();
    const url = new URL(callback);
    const token = url.searchParams.get('access_token') ?? '';
    // Differs in the last character only: the comparison must look at every byte.
    const wrong = `${url.origin}${url.pathname}?access_token=${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const res = await post(wrong, setpointBody(21));
    expect(res.status).toBe(401);
    expect(await queued()).toBe(before);
    expect((await post(callback, setpointBody(22))).status).toBe(200);
  });

  it('webhook over 256 KiB => 413; not JSON => 415; malformed JSON => 400; nothing queued', async () => {
    const { callback } = await linkAndSelect();
    await workers?.close();
    workers = undefined;
    const before = await queued();
    expect((await post(callback, JSON.stringify({ pad: 'x'.repeat(300 * 1024) }))).status).toBe(413);
    expect((await post(callback, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post(callback, '{"push_type": ')).status).toBe(400);
    expect(await queued()).toBe(before);
  });

  it('webhook with the right token but a bad signature => 200 acknowledged, dropped, counted, never applied', async () => {
    const { inst, callback } = await linkAndSelect();
    const before = await queued();
    const body = setpointBody(29);
    const res = await post(callback, body, { 'x-netatmo-secret': sign(body, 'wrong-secret') });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'dropped', reason: 'bad_signature' });
    expect(await queued()).toBe(before);
    const stats = (await (await host.admin(`/api/installations/${inst.id}/webhooks`)).json()) as { droppedBadSignature: number };
    expect(stats.droppedBadSignature).toBe(1);
    expect((await device(inst))?.attributes['heatingSetpoint']).not.toBe(29);
  });

  it('webhook the connector cannot parse => acknowledged, then kept in the failed set for the operator', async () => {
    const { inst, callback } = await linkAndSelect();
    const res = await post(callback, JSON.stringify(['not', 'an', 'object']));
    expect(res.status).toBe(200);
    const failed = await eventually(async () => {
      const list = (await (await host.admin(`/api/installations/${inst.id}/webhooks/failed`)).json()) as Array<{ body: string; reason: string }>;
      return list.length > 0 ? list : undefined;
    }, 'the failed set');
    expect(failed[0]?.body).toBe('["not","an","object"]');
    expect(failed[0]?.reason).toContain('not a Netatmo push');
  });
});

describe('webhook processing', () => {
  it('signed setpoint push from the fake cloud => 200 → device updated without a poll', async () => {
    const { inst } = await linkAndSelect();
    const { homeId, roomId } = firstRoom();
    const deliveries = await host.fake.userSetsRoomSetpoint(homeId, roomId, 24.5, 'manual');
    expect(deliveries.map((d) => d.status)).toEqual([200, 200]);
    await eventually(async () => (await device(inst))?.attributes['heatingSetpoint'] === 24.5, 'setpoint by push');
    expect((await device(inst))?.attributes['setpointMode']).toBe('manual');
  });

  it('the same event twice (and its device_event twin) => applied once', async () => {
    const { inst, callback } = await linkAndSelect();
    const body = setpointBody(25.5);
    expect((await post(callback, body)).status).toBe(200);
    expect((await post(callback, body)).status).toBe(200);
    expect((await post(callback, twinBody(25.5))).status).toBe(200);
    await eventually(async () => (await device(inst))?.attributes['heatingSetpoint'] === 25.5, 'the setpoint');
    await eventually(async () => (await host.services.webhooks.queue.getJobCounts('waiting', 'active'))['waiting'] === 0, 'drain');
    const events = ((await (await host.admin(`/api/installations/${inst.id}/events?limit=1000`)).json()) as { events: Array<{ type: string; data: { changed?: Record<string, unknown> } }> }).events;
    expect(events.filter((e) => e.type === 'device.stateChanged' && e.data.changed?.['heatingSetpoint'] === 25.5)).toHaveLength(1);
  });

  it('acknowledged while no worker runs (worker down between ack and processing) => applied once a worker starts', async () => {
    const { inst, callback } = await linkAndSelect();
    await workers?.close();
    workers = undefined;
    expect((await post(callback, setpointBody(26.5))).status).toBe(200);
    expect((await device(inst))?.attributes['heatingSetpoint']).not.toBe(26.5);
    workers = startWorkers(host.services, { concurrency: 2 });
    await eventually(async () => (await device(inst))?.attributes['heatingSetpoint'] === 26.5, 'applied after restart');
  });

  it('activation message after addwebhook => recorded', async () => {
    const { inst } = await linkAndSelect();
    await eventually(async () => {
      const s = (await (await host.admin(`/api/installations/${inst.id}/webhooks`)).json()) as { activatedAt: string | null };
      return s.activatedAt !== null;
    }, 'activation');
  });
});

describe('callback token rotation', () => {
  it('rotate => new URL registered; old token accepted during the overlap, refused after', async () => {
    const { inst, callback: old } = await linkAndSelect();
    expect((await host.admin(`/api/installations/${inst.id}/webhooks/rotate`, { method: 'POST' })).status).toBe(200);
    const fresh = host.fake.webhookUrl() ?? '';
    expect(fresh).not.toBe(old);
    // The rotation is an event (linking's first token is not), naming neither token.
    const events = (await (await host.admin(`/api/installations/${inst.id}/events`)).json()) as { events: { type: string }[] };
    const rotated = events.events.filter((e) => e.type === 'installation.callbackRotated');
    expect(rotated).toHaveLength(1);
    expect(JSON.stringify(rotated)).not.toContain(new URL(fresh).searchParams.get('access_token') ?? 'never');
    expect((await post(fresh, setpointBody(21))).status).toBe(200);
    expect((await post(old, setpointBody(21.5))).status).toBe(200);
    clock += 10 * 60 * 1000 + 1;
    expect((await post(old, setpointBody(22))).status).toBe(401);
    expect((await post(fresh, setpointBody(22))).status).toBe(200);
  });
});

describe('one Netatmo account linked by two installations', () => {
  it('push reaches both; uninstalling one keeps the other subscribed', async () => {
    const a = await linkAndSelect();
    const bInst = await link(host, await createInstallation(host, 'other-home', 'netatmo'), 'netatmo');
    await host.admin(`/api/installations/${bInst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: [firstRoom().externalId] }) });
    const { homeId, roomId } = firstRoom();
    await host.fake.userSetsRoomSetpoint(homeId, roomId, 27.5, 'manual');
    await eventually(async () => (await device(a.inst))?.attributes['heatingSetpoint'] === 27.5, 'A updated');
    await eventually(async () => (await device(bInst))?.attributes['heatingSetpoint'] === 27.5, 'B updated');

    expect((await host.admin(`/api/installations/${bInst.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(host.fake.webhookUrl()).toBeDefined();
    await host.fake.userSetsRoomSetpoint(homeId, roomId, 28.5, 'manual');
    await eventually(async () => (await device(a.inst))?.attributes['heatingSetpoint'] === 28.5, 'A still updated');

    expect((await host.admin(`/api/installations/${a.inst.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(host.fake.webhookUrl()).toBeUndefined();
  });
});

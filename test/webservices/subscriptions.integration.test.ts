import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/link';
import { startWorkers } from '../../src/runtime/workers';
import { verifyBody } from '../../src/webservices/signature';
import { authorizeAndExchange, bearer, deliveriesSettled, startWorld, type World } from './harness';

let w: World;
let clock: number;
beforeEach(async () => {
  clock = Date.now();
  w = await startWorld({ now: () => clock });
});
afterEach(async () => {
  await w.close();
});

const LIVING = () => w.devices.get('dev-1') ?? '';
const UPSTAIRS = () => w.devices.get('dev-2') ?? '';
const BASEMENT = () => w.devices.get('dev-3') ?? '';

interface Sub {
  id: string;
  status: string;
  secret: string;
  targetUrl: string;
  events: string[];
}

/** Changes a device's temperature at the fake cloud (in tenths, to keep the numbers exact) and waits until a poll applied it. */
async function changeTemperature(externalId: string, tenths: number): Promise<void> {
  w.host.fake.update(externalId, { temperature: tenths / 10 });
  await eventually(async () => {
    // Asked again each time: a poll asked for while the previous one is still finishing is debounced
    // into that one, which read the cloud before the change (seen under load).
    expect((await w.host.admin(`/api/installations/${w.installationId}/poll`, { method: 'POST' })).status).toBe(202);
    const list = ((await (await w.host.admin(`/api/installations/${w.installationId}/devices`)).json()) as { items: { externalId: string; attributes: { temperature: number } }[] }).items;
    return list.find((d) => d.externalId === externalId)?.attributes.temperature === tenths / 10;
  }, `${externalId} at ${tenths / 10}`);
}

async function setup(events = ['device.stateChanged', 'device.removed']) {
  const { tokens } = await authorizeAndExchange(w, [LIVING(), UPSTAIRS()]);
  const api = bearer(w, tokens.access_token);
  const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string; url: string }[];
  const uri = ep?.uri ?? '';
  const res = await api(`${uri}/subscriptions`, { method: 'POST', body: JSON.stringify({ targetUrl: w.sys.hookUrl, events }) });
  expect(res.status).toBe(201);
  const sub = (await res.json()) as Sub;
  return { api, uri, appId: ep?.url.split('/').at(-1) ?? '', sub, tokens };
}

async function confirm(sub: Sub, appId: string): Promise<void> {
  const hook = await eventually(async () => w.sys.hooks().find((h) => h.lifecycle === 'CONFIRMATION'), 'the CONFIRMATION');
  expect(verifyBody(sub.secret, hook.raw, hook.signature)).toBe(true);
  const data = hook.body['confirmationData'] as { appId: string; confirmationUrl: string };
  expect(data.appId).toBe(appId);
  expect(data.confirmationUrl.startsWith(`${w.host.url}/api/smartapps/subscriptions/${sub.id}/confirm?token=`)).toBe(true);
  const res = await fetch(data.confirmationUrl);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ id: sub.id, status: 'confirmed' });
}

/** sm_subscription_posts_total of this world's process, as "kind outcome" => count. */
const posts = async () =>
  Object.fromEntries((await w.host.services.metrics.subscriptionPosts.get()).values.map((v) => [`${v.labels.kind} ${v.labels.outcome}`, v.value]));

const eventsAtHook = () =>
  w.sys.hooks().flatMap((h) =>
    h.lifecycle === 'EVENT'
      ? ((h.body['eventData'] as { events: { eventId: string; eventType: string; deviceId: string; data: { changed?: { temperature?: number } } }[] }).events.map((e) => ({ ...e, hook: h })))
      : [],
  );

describe('subscriptions and signed event delivery', () => {
  it('CONFIRMATION first; nothing before confirmation; then signed events for authorized devices only', async () => {
    const { api, uri, appId, sub } = await setup();
    expect(sub).toMatchObject({ status: 'pending', targetUrl: w.sys.hookUrl, events: ['device.stateChanged', 'device.removed'] });
    expect(sub.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await eventually(async () => w.sys.hooks().length === 1, 'the CONFIRMATION');
    await changeTemperature('dev-1', 725);
    await deliveriesSettled(w);
    expect(w.sys.hooks().map((h) => h.lifecycle)).toEqual(['CONFIRMATION']);

    // A wrong confirmation token confirms nothing.
    expect((await fetch(`${w.host.url}/api/smartapps/subscriptions/${sub.id}/confirm?token=wrong`)).status).toBe(404);
    await confirm(sub, appId);
    expect(((await (await api(`${uri}/subscriptions/${sub.id}`)).json()) as Sub).status).toBe('confirmed');

    // The access token expiring does not stop deliveries.
    clock += 2 * 86_400_000;
    await changeTemperature('dev-3', 600); // not authorized
    await changeTemperature('dev-1', 735);
    const [event] = await eventually(async () => {
      const got = eventsAtHook();
      return got.length > 0 ? got : undefined;
    }, 'an EVENT');
    expect(event).toMatchObject({ eventType: 'device.stateChanged', deviceId: LIVING(), data: { changed: { temperature: 73.5 } } });
    expect(verifyBody(sub.secret, event?.hook.raw ?? '', event?.hook.signature)).toBe(true);
    expect(verifyBody('another-secret', event?.hook.raw ?? '', event?.hook.signature)).toBe(false);
    expect(event?.hook.body['eventData']).toMatchObject({ appId, subscriptionId: sub.id });
    await deliveriesSettled(w);
    expect(eventsAtHook().map((e) => e.deviceId)).toEqual([LIVING()]);
    expect(eventsAtHook().some((e) => e.deviceId === BASEMENT())).toBe(false);
  });

  it('target failing for a while => retried with backoff, then delivered in order per device', async () => {
    const { appId, sub } = await setup();
    await confirm(sub, appId);
    w.sys.failures = [500, 503, 500, 502];
    await changeTemperature('dev-1', 700);
    await changeTemperature('dev-1', 705);
    await changeTemperature('dev-1', 710);
    await eventually(async () => eventsAtHook().length === 3, 'three events');
    expect(eventsAtHook().map((e) => e.data.changed?.temperature)).toEqual([70, 70.5, 71]);
    const ids = eventsAtHook().map((e) => e.eventId);
    expect([...ids].sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]) || Number(a.split('-')[1]) - Number(b.split('-')[1]))).toEqual(ids);
    const attempts = w.sys.received.filter((r) => r.path === '/hook' && r.body.includes('"EVENT"')).length;
    expect(attempts).toBe(3 + 4);
    for (const e of eventsAtHook()) expect(verifyBody(sub.secret, e.hook.raw, e.hook.signature)).toBe(true);
    // The target logs a POST before the worker has read its answer: counted once the drain is over.
    await deliveriesSettled(w);
    expect(await posts()).toEqual({ 'lifecycle delivered': 1, 'event http_5xx': 4, 'event delivered': 3 });
    const lag = (await w.host.services.metrics.eventDeliveryLag.get()).values.find((v) => v.metricName === 'sm_event_delivery_lag_seconds_count');
    expect(lag?.value).toBe(3);
  });

  it('an event that exhausts its attempts => set aside and counted; the device\'s next events still flow', async () => {
    const { api, uri, appId, sub } = await setup(['device.stateChanged']);
    await confirm(sub, appId);
    w.sys.failures = Array.from({ length: 8 }, () => 500); // WS_DELIVERY_ATTEMPTS=8 in the harness
    await changeTemperature('dev-1', 650);
    await eventually(async () => ((await (await api(`${uri}/subscriptions/${sub.id}`)).json()) as { failedDeliveries: number }).failedDeliveries === 1, 'the event set aside');
    await changeTemperature('dev-1', 655);
    await eventually(async () => eventsAtHook().length === 1, 'the next event');
    expect(eventsAtHook()[0]?.data.changed?.temperature).toBe(65.5);
    await deliveriesSettled(w);
    expect(await posts()).toEqual({ 'lifecycle delivered': 1, 'event http_5xx': 8, 'event gave_up': 1, 'event delivered': 1 });
  });

  it('two worker processes => each event routed and delivered once, still in order', async () => {
    const { appId, sub } = await setup(['device.stateChanged']);
    await confirm(sub, appId);
    const second = startWorkers(w.host.services, { concurrency: 4 });
    try {
      for (const t of [680, 685, 690, 695]) await changeTemperature('dev-1', t);
      await eventually(async () => eventsAtHook().length >= 4, 'four events');
      await deliveriesSettled(w);
      expect(eventsAtHook().map((e) => e.data.changed?.temperature)).toEqual([68, 68.5, 69, 69.5]);
    } finally {
      await second.close();
    }
  });

  it('a device removed by its connector => device.removed delivered, and it leaves the grant', async () => {
    const { api, uri, appId, sub } = await setup();
    await confirm(sub, appId);
    w.host.fake.remove('dev-2');
    expect((await w.host.admin(`/api/installations/${w.installationId}/poll`, { method: 'POST' })).status).toBe(202);
    const removed = await eventually(async () => eventsAtHook().find((e) => e.eventType === 'device.removed'), 'device.removed');
    expect(removed.deviceId).toBe(UPSTAIRS());
    await deliveriesSettled(w);
    const app = await w.host.services.webServices.apps.get(appId);
    expect(app?.devices.map((d) => d.deviceId)).toEqual([LIVING()]);
    expect(((await (await api(`${uri}/devices`)).json()) as { id: string }[]).map((d) => d.id)).toEqual([LIVING()]);
  });

  it('revocation => UNINSTALL to the target, tokens dead, nothing delivered afterwards', async () => {
    const { api, uri, appId, sub, tokens } = await setup();
    await confirm(sub, appId);
    await changeTemperature('dev-1', 720);
    await eventually(async () => eventsAtHook().length === 1, 'one event');

    const del = await fetch(`${w.host.url}/api/app-installations/${appId}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`${w.user.username}:${w.user.password}`).toString('base64')}` },
    });
    expect(del.status).toBe(204);
    const uninstall = await eventually(async () => w.sys.hooks().find((h) => h.lifecycle === 'UNINSTALL'), 'UNINSTALL');
    expect(uninstall.body).toEqual({ lifecycle: 'UNINSTALL', uninstallData: { appId } });
    expect(verifyBody(sub.secret, uninstall.raw, uninstall.signature)).toBe(true);
    expect((await api(`${uri}/devices`)).status).toBe(401);
    expect(tokens.access_token).toBeTruthy();

    const before = w.sys.hooks().length;
    await changeTemperature('dev-1', 740);
    await deliveriesSettled(w);
    expect(w.sys.hooks()).toHaveLength(before);
    expect(await w.host.services.webServices.subscriptions.get(sub.id)).toBeUndefined();
  });

  it('DELETE a subscription => 204, then 404, and no more events', async () => {
    const { api, uri, appId, sub } = await setup();
    await confirm(sub, appId);
    expect(((await (await api(`${uri}/subscriptions`)).json()) as Sub[]).map((s) => s.id)).toEqual([sub.id]);
    expect((await api(`${uri}/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`${uri}/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await api(`${uri}/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(404);
    await changeTemperature('dev-1', 745);
    await deliveriesSettled(w);
    expect(eventsAtHook()).toEqual([]);
  });

  it("another app installation's subscription, addressed under your own uri => 404 for GET and DELETE; it stays", async () => {
    const { api, uri, sub } = await setup();
    const other = await authorizeAndExchange(w, [UPSTAIRS()]);
    const otherApi = bearer(w, other.tokens.access_token);
    const [otherEp] = (await (await otherApi('/api/smartapps/endpoints')).json()) as { uri: string }[];
    const otherUri = otherEp?.uri ?? '';
    expect(otherUri).not.toBe(uri);
    expect((await otherApi(`${otherUri}/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await otherApi(`${otherUri}/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(await (await otherApi(`${otherUri}/subscriptions`)).json()).toEqual([]);
    expect((await api(`${uri}/subscriptions/${sub.id}`)).status).toBe(200);
  });

  it('POST subscriptions => 400 for a bad target or event type; never returns the secret again', async () => {
    const { api, uri, sub } = await setup();
    const post = (body: unknown) => api(`${uri}/subscriptions`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ targetUrl: 'not a url', events: ['device.stateChanged'] })).status).toBe(400);
    expect((await post({ targetUrl: 'ftp://x/y', events: ['device.stateChanged'] })).status).toBe(400);
    expect((await post({ targetUrl: w.sys.hookUrl, events: [] })).status).toBe(400);
    expect((await post({ targetUrl: w.sys.hookUrl, events: ['installation.linked'] })).status).toBe(400);
    const malformed = await api(`${uri}/subscriptions`, { method: 'POST', body: '{"targetUrl":' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toBe('invalid_json');
    const listed = JSON.stringify(await (await api(`${uri}/subscriptions`)).json());
    expect(listed).not.toContain(sub.secret);
  });
});

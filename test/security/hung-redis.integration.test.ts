import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { listDevices, netatmoSetpoint, readEvents } from '../helpers/faults';
import { ADMIN_TOKEN, startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';

/**
 * Redis hangs (SIGSTOP: the TCP connections stay open, nothing answers). Every request that needs
 * Redis must come back with a 503 and Retry-After instead of hanging; a webhook is never
 * acknowledged unless its payload is in Redis. After SIGCONT the host recovers by itself.
 */

const ENQUEUE_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 500;
/** Only a hang guard (the bug was a 21 s hang): a request still pending after this fails the test. */
const HANG_GUARD_MS = ENQUEUE_TIMEOUT_MS * 3 + COMMAND_TIMEOUT_MS * 3;

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let netatmo: FakeNetatmo;
let host: HostCore;
let workers: RunningWorkers | undefined;
let paused = false;
/** How long each request took, by label: reported, not asserted. */
const took: Record<string, number> = {};

beforeEach(async () => {
  for (const key of Object.keys(took)) delete took[key];
  redis = await startPrivateRedis();
  netatmo = await startNetatmoKitFake();
  host = await startHostCore({
    fakes: { netatmo },
    env: { REDIS_URL: redis.url, WEBHOOK_ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS), REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) },
  });
  workers = startWorkers(host.services, { concurrency: 2 });
});
afterEach(async () => {
  if (paused) redis.process.kill('SIGCONT');
  paused = false;
  await workers?.close();
  await host.close().catch(() => undefined);
  await netatmo.stop();
  await redis.stop();
});

const guarded = async (url: string, init: RequestInit = {}, label?: string): Promise<Response> => {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_GUARD_MS) });
  if (label) took[label] = Math.round(performance.now() - started);
  return res;
};

function expect503(res: Response): void {
  expect(res.status).toBe(503);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter > 0).toBe(true);
}

it('Redis SIGSTOPped => webhook, Web Services API and page answer 503 + Retry-After (no hang, never 2xx); SIGCONT => next webhook accepted and applied', async () => {
  const inst = await link({ ...host, fake: netatmo }, undefined, 'netatmo');
  const home = netatmo.homes()[0];
  const room = home?.rooms[0];
  if (!home || !room) throw new Error('no home');
  expect((await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: [`${home.id}.${room.id}`] }) })).status).toBe(200);
  const [device] = await listDevices(host, inst.id);
  if (!device) throw new Error('no device');
  const callback = await eventually(async () => netatmo.webhookUrl(), 'the netatmo webhook registration');
  const post = (temperature: number) => {
    const { body, signature } = netatmoSetpoint(netatmo.clientSecret, home.id, room.id, temperature);
    return guarded(callback, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-netatmo-secret': signature } }, 'webhook');
  };
  const wsApi = () =>
    guarded(`${host.url}/api/smartapps/installations/${inst.id}/devices`, { headers: { authorization: `Bearer ${'a'.repeat(43)}`, accept: 'application/json' } }, 'api');
  const page = () =>
    guarded(
      `${host.url}/connectors/netatmo/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`,
      { redirect: 'manual', headers: { accept: 'text/html' } },
      'page',
    );

  // Warm: the token is cached, so while Redis hangs the callback reaches the enqueue itself.
  expect((await post(20.5)).status).toBe(200);
  expect((await wsApi()).status).toBe(401);

  redis.process.kill('SIGSTOP');
  paused = true;

  const during = await post(21.5);
  expect503(during);
  expect(await during.json()).toMatchObject({ error: 'service_unavailable' });

  const api = await wsApi();
  expect503(api);
  expect(await api.json()).toMatchObject({ error: 'service_unavailable' });

  const html = await page();
  expect503(html);
  expect(html.headers.get('content-type')).toMatch(/text\/html/);
  expect(await html.text()).toMatch(/unavailable/i);

  // An id the host has never seen: the token lookup itself hangs, and must give up too.
  const unknown = await guarded(
    `${callback.split('/webhooks/')[0]}/webhooks/00000000-0000-4000-8000-000000000000?access_token=${'b'.repeat(43)}`,
    { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
    'unknown webhook',
  );
  expect503(unknown);
  // eslint-disable-next-line no-console
  console.info(`hung redis: answered in ${JSON.stringify(took)} ms (enqueue deadline ${ENQUEUE_TIMEOUT_MS} ms, command timeout ${COMMAND_TIMEOUT_MS} ms)`);

  redis.process.kill('SIGCONT');
  paused = false;

  // No restart: the very next callbacks are accepted, and a real worker applies them.
  await eventually(async () => (await post(22.5)).status === 200, 'a webhook accepted after SIGCONT');
  await eventually(async () => {
    const { events } = await readEvents(host, inst.id);
    return events.some((e) => e.deviceId === device.id && (e.data['changed'] as Record<string, unknown> | undefined)?.['heatingSetpoint'] === 22.5);
  }, 'the webhook after SIGCONT to be applied').catch(async (err: unknown) => {
    const queue = host.services.webhooks.queue;
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    const jobs = (await queue.getJobs(['failed', 'delayed', 'waiting', 'active'])).map((j) => `${j?.id} ${j?.attemptsMade} ${j?.failedReason}`);
    const { events } = await readEvents(host, inst.id);
    throw new Error(`not applied: queue ${JSON.stringify(counts)} ${JSON.stringify(jobs)} events ${JSON.stringify(events.map((e) => [e.type, e.data]))}`, { cause: err });
  });
}, 60_000);

it('Redis gone (connection refused, the offline queue in play) => webhook, Web Services API and page answer 503 + Retry-After, no hang', async () => {
  const inst = await link({ ...host, fake: netatmo }, undefined, 'netatmo');
  const callback = await eventually(async () => netatmo.webhookUrl(), 'the netatmo webhook registration');
  await redis.stop({ keepData: true });

  const webhook = await guarded(callback, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }, 'webhook');
  expect503(webhook);
  const api = await guarded(`${host.url}/api/smartapps/installations/${inst.id}/devices`, { headers: { authorization: `Bearer ${'a'.repeat(43)}` } }, 'api');
  expect503(api);
  expect(await api.json()).toMatchObject({ error: 'service_unavailable' });
  const page = await guarded(
    `${host.url}/connectors/netatmo/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`,
    { redirect: 'manual', headers: { accept: 'text/html' } },
    'page',
  );
  expect503(page);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  const admin = await guarded(`${host.url}/api/installations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, 'admin');
  expect503(admin);
  // eslint-disable-next-line no-console
  console.info(`redis gone: answered in ${JSON.stringify(took)} ms`);
  // Back on the same port, so the workers can close in afterEach.
  redis = await startPrivateRedis({ port: redis.port, dir: redis.dir });
}, 60_000);

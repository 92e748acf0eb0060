import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { NEUTRAL_CONNECTOR, neutralConnectors } from '../helpers/neutral-host';

let core: HostCore;
let acme: FakeAcme;
let netatmo: FakeNetatmo;
let workers: RunningWorkers | undefined;

beforeAll(async () => {
  acme = await FakeAcme.start();
  netatmo = await FakeNetatmo.start();
  core = await startHostCore({ fakes: { [NEUTRAL_CONNECTOR]: acme, netatmo }, connectors: await neutralConnectors() });
});
afterAll(async () => {
  await workers?.close();
  await core.close();
  await acme.stop();
  await netatmo.stop();
});

/** `name{labels} value` lines of a scrape, keyed by everything before the value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${core.url}/metrics`);
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
function value(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, v] of samples) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, l]) => key.includes(`${k}="${l}"`))) sum += v;
  }
  return sum;
}

it('GET /metrics => every family is exported and moves after its action', async () => {
  // Links without workers first, so queued jobs stay visible as queue depth.
  const acmeInst = await link({ ...core, fake: acme }, undefined, NEUTRAL_CONNECTOR);
  const net = await link({ ...core, fake: netatmo }, undefined, 'netatmo');
  const queued = await scrape();
  expect(value(queued, 'sm_queue_jobs', { queue: 'poll', state: 'delayed' }) + value(queued, 'sm_queue_jobs', { queue: 'poll', state: 'waiting' })).toBeGreaterThan(0);
  expect([...queued.keys()].some((k) => k.startsWith('sm_queue_jobs{queue="webhook"'))).toBe(true);

  // HTTP latency by route pattern: the pattern, never the installation's id.
  const before = await scrape();
  expect((await core.admin(`/api/installations/${acmeInst.id}/devices`)).status).toBe(200);
  const after = await scrape();
  const devicesRoute = { route: '/api/installations/:id/devices', method: 'GET', status: '200' };
  expect(value(after, 'sm_http_request_duration_seconds_count', devicesRoute)).toBe(value(before, 'sm_http_request_duration_seconds_count', devicesRoute) + 1);
  expect([...after.keys()].some((k) => k.includes(acmeInst.id) || k.includes(net.id))).toBe(false);

  // Refreshes and their outcomes.
  acme.expireAccessTokens();
  expect((await core.admin(`/api/installations/${acmeInst.id}/discovered`)).status).toBe(200);
  const refreshed = await scrape();
  expect(value(refreshed, 'sm_token_refreshes_total', { outcome: 'refreshed' })).toBe(value(after, 'sm_token_refreshes_total', { outcome: 'refreshed' }) + 1);
  expect(value(refreshed, 'sm_cloud_calls_total', { connector: NEUTRAL_CONNECTOR })).toBeGreaterThan(value(after, 'sm_cloud_calls_total', { connector: NEUTRAL_CONNECTOR }));

  // Polls and job outcomes per queue, once workers run.
  workers = startWorkers(core.services, { concurrency: 2 });
  expect((await core.admin(`/api/installations/${acmeInst.id}/poll`, { method: 'POST' })).status).toBe(202);
  const polled = await eventually(async () => {
    const s = await scrape();
    return value(s, 'sm_polls_total') > 0 && value(s, 'sm_jobs_total', { queue: 'poll', outcome: 'completed' }) > 0 ? s : undefined;
  }, 'poll counted');
  expect(value(polled, 'sm_polls_total', { outcome: 'unchanged' }) + value(polled, 'sm_polls_total', { outcome: 'applied' })).toBeGreaterThan(0);

  // Webhook acknowledgements, drops and refusals.
  const home = netatmo.homes()[0];
  const room = home?.rooms[0];
  if (!home || !room) throw new Error('fake has no rooms');
  expect((await core.admin(`/api/installations/${net.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: [`${home.id}.${room.id}`] }) })).status).toBe(200);
  const callbackUrl = await eventually(async () => netatmo.webhookUrl(), 'webhook registered');
  const beforeHooks = await scrape();
  await netatmo.userSetsRoomSetpoint(home.id, room.id, 22);
  await netatmo.deliverRaw(callbackUrl, '{"push_type":"display_change"}', { signature: '0'.repeat(64) });
  const wrong = `${callbackUrl.split('?')[0]}?access_token=${'x'.repeat(43)}`;
  expect((await fetch(wrong, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
  const hooks = await eventually(async () => {
    const s = await scrape();
    return value(s, 'sm_jobs_total', { queue: 'webhook', outcome: 'completed' }) > value(beforeHooks, 'sm_jobs_total', { queue: 'webhook', outcome: 'completed' }) ? s : undefined;
  }, 'webhook job completed');
  const delta = (labels: Record<string, string>) => value(hooks, 'sm_webhook_requests_total', labels) - value(beforeHooks, 'sm_webhook_requests_total', labels);
  expect(delta({ connector: 'netatmo', outcome: 'accepted' })).toBeGreaterThan(0);
  expect(delta({ connector: 'netatmo', outcome: 'dropped' })).toBe(1);
  expect(delta({ connector: 'netatmo', outcome: 'unauthorized' })).toBe(1);
  const webhookRoute = { route: '/connectors/:connector/webhooks/:installationId', status: '200' };
  expect(value(hooks, 'sm_http_request_duration_seconds_count', webhookRoute)).toBeGreaterThan(0);

  const families = new Set([...hooks.keys()].map((k) => k.split('{')[0]));
  for (const family of [
    'sm_http_request_duration_seconds_bucket',
    'sm_queue_jobs',
    'sm_jobs_total',
    'sm_token_refreshes_total',
    'sm_cloud_calls_total',
    'sm_polls_total',
    'sm_webhook_requests_total',
  ]) {
    expect(families.has(family), family).toBe(true);
  }
});

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { createApp } from '../../src/runtime/http/app';
import { createLogger } from '../../src/runtime/logging/logger';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import type { Services } from '../../src/runtime/services';
import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import { CookieBrowser } from '../helpers/browser';
import { NEUTRAL_CONNECTOR, neutralConnectors } from '../helpers/neutral-host';
import { connectorEnv } from '../helpers/child-env';
import { eventually } from '../helpers/link';
import { servicesFromEnv } from '../helpers/services-from-env';

const ADMIN_TOKEN = 'log-test-admin-token-0123456789';

/** Every line the host and its workers write, parsed. */
const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  },
});

let server: Server;
let url: string;
let services: Services;
let workers: RunningWorkers;
let acme: FakeAcme;
let netatmo: FakeNetatmo;

beforeAll(async () => {
  acme = await FakeAcme.start();
  netatmo = await FakeNetatmo.start();
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ services } = await servicesFromEnv(
    {
      PUBLIC_URL: url,
      REDIS_URL: inject('redisUrl'),
      KEY_PREFIX: `test-${randomUUID()}`,
      ADMIN_TOKEN,
      SECRET_KEY: randomBytes(32).toString('hex'),
      HTTP_TIMEOUT_MS: '2000',
      ...(await connectorEnv({ [NEUTRAL_CONNECTOR]: acme, netatmo })),
    },
    { log: createLogger('debug', sink), connectors: await neutralConnectors() },
  ));
  server.on('request', createApp(services).callback());
  workers = startWorkers(services, { concurrency: 2 });
});

afterAll(async () => {
  await workers?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([services.scheduler.close(), services.webhooks.close()]);
  services.missedDeliveries.close();
  const keys = await services.redis.keys(`${services.config.keyPrefix}:*`);
  if (keys.length) await services.redis.del(...keys);
  services.redis.disconnect();
  await acme.stop();
  await netatmo.stop();
});

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });

/** The linking flow, keeping every secret that crosses it so the test can look for them. */
async function linkRecordingSecrets(connector: string, approve: (authorizeUrl: string) => Promise<string>) {
  const secrets: string[] = [];
  const created = (await (
    await admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector, locationId: `home-${connector}` }) })
  ).json()) as { id: string; accessToken: string; setupUrl: string };
  secrets.push(created.accessToken);
  const browser = new CookieBrowser();
  expect((await browser.get(created.setupUrl)).status).toBe(200);
  const init = await browser.get(`${url}/connectors/${connector}/oauth/initialize?appId=${created.id}&access_token=${created.accessToken}`);
  expect(init.status).toBe(302);
  const authorizeUrl = init.headers.get('location') ?? '';
  secrets.push(new URL(authorizeUrl).searchParams.get('state') ?? 'missing-state');
  secrets.push(browser.cookie('sm_oauth') ?? 'missing-cookie');
  const callback = await approve(authorizeUrl);
  secrets.push(new URL(callback).searchParams.get('code') ?? 'missing-code');
  expect((await browser.get(callback)).status).toBe(200);
  // The same callback again: rejected, and logged as a rejection with its code and state in the URL.
  expect((await browser.get(callback)).status).toBe(400);
  const stored = await services.tokens.get(created.id);
  if (!stored) throw new Error('no tokens stored');
  secrets.push(stored.tokens.accessToken, stored.tokens.refreshToken ?? 'no-refresh-token');
  return { ...created, secrets };
}

it('linking flows, a refresh and webhooks => no secret in any log line, and every request line carries its request id', async () => {
  const secrets: string[] = [ADMIN_TOKEN, netatmo.clientSecret, acme.clientSecret];

  const acmeInst = await linkRecordingSecrets(NEUTRAL_CONNECTOR, (u) => acme.approve(u));
  secrets.push(...acmeInst.secrets);
  // An expired token: the refresh is logged, with the installation but without the tokens.
  acme.expireAccessTokens();
  expect((await admin(`/api/installations/${acmeInst.id}/discovered`)).status).toBe(200);
  const refreshed = await services.tokens.get(acmeInst.id);
  secrets.push(refreshed?.tokens.accessToken ?? '', refreshed?.tokens.refreshToken ?? '');

  const net = await linkRecordingSecrets('netatmo', (u) => netatmo.approve(u));
  secrets.push(...net.secrets);
  const home = netatmo.homes()[0];
  const room = home?.rooms[0];
  if (!home || !room) throw new Error('fake has no rooms');
  const selected = await admin(`/api/installations/${net.id}/settings`, {
    method: 'PUT',
    body: JSON.stringify({ devices: [`${home.id}.${room.id}`] }),
  });
  expect(selected.status).toBe(200);
  const callbackUrl = await eventually(async () => netatmo.webhookUrl(), 'webhook registered');
  const callbackToken = new URL(callbackUrl).searchParams.get('access_token') ?? '';
  expect(callbackToken.length).toBeGreaterThan(20);
  secrets.push(callbackToken);

  // A real push (signed by the fake), one with a bad signature, and one with a wrong token.
  const deliveries = await netatmo.userSetsRoomSetpoint(home.id, room.id, 23.5);
  expect(deliveries.length).toBeGreaterThan(0);
  await netatmo.deliverRaw(callbackUrl, '{"push_type":"display_change"}', { signature: 'f'.repeat(64) });
  const wrongToken = `${callbackUrl.split('?')[0]}?access_token=${'W'.repeat(43)}`;
  expect((await fetch(wrongToken, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
  secrets.push('W'.repeat(43));
  await eventually(async () => {
    const devices = ((await (await admin(`/api/installations/${net.id}/devices`)).json()) as { items: Array<{ attributes: Record<string, unknown> }> }).items;
    return devices[0]?.attributes['heatingSetpoint'] === 23.5;
  }, 'webhook applied');

  // A caller sending its secrets where they do not belong: Authorization and cookies on a bad request.
  const cookieSecret = `session-${randomBytes(12).toString('hex')}`;
  secrets.push(cookieSecret);
  const bad = await fetch(`${url}/api/installations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, cookie: `sid=${cookieSecret}`, 'content-type': 'application/json' },
    body: '{"connector": ',
  });
  expect(bad.status).toBe(400);

  // Every log line has been written (pino writes synchronously to a plain stream).
  const text = raw.join('\n');
  expect(lines.length).toBeGreaterThan(20);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(3);
    expect(text, `a secret of length ${secret.length} was logged`).not.toContain(secret);
  }
  for (const name of ['access_token=', 'code=', 'state=']) {
    const leaked = raw.filter((l) => l.includes(name) && !l.includes(`${name}[redacted]`));
    expect(leaked, `${name} logged unredacted`).toEqual([]);
  }

  // One access line per request, each with the id the caller got in X-Request-Id.
  const access = lines.filter((l) => l['msg'] === 'request completed');
  expect(access.length).toBeGreaterThan(15);
  for (const line of access) expect(line['requestId']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
  const rejected = lines.filter((l) => l['msg'] === 'request rejected');
  expect(rejected.length).toBeGreaterThan(0);
  for (const line of rejected) {
    expect(line['requestId']).toBeTruthy();
    expect(line['error']).toEqual(expect.any(String));
  }
  // Lines written by the services a request called carry its id too.
  for (const msg of ['installation linked', 'webhook dropped: bad signature']) {
    const line = lines.find((l) => l['msg'] === msg);
    expect(line?.['requestId'], msg).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
  }
  // Worker lines do not belong to a request.
  expect(lines.find((l) => l['msg'] === 'poll applied')?.['requestId']).toBeUndefined();
  // One requestId key per line, not a child binding and the mixin both.
  for (const line of raw) expect(line.split('"requestId"').length).toBeLessThanOrEqual(2);
  const badId = bad.headers.get('x-request-id');
  expect(access.find((l) => l['requestId'] === badId)).toMatchObject({ method: 'POST', path: '/api/installations', status: 400 });
  const webhookLine = access.find((l) => l['route'] === '/connectors/:connector/webhooks/:installationId' && l['status'] === 200);
  expect(webhookLine?.['path']).toBe(`/connectors/netatmo/webhooks/${net.id}`);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { ADMIN_TOKEN, operatorLogin, startHostCore, type HostCore } from '../helpers/host';
import { NEUTRAL_CONNECTOR, neutralConnectors, type NeutralHost } from '../helpers/neutral-host';
import { eventually, link } from '../helpers/link';
import {
  authorizeAndExchange,
  bearer,
  authorizeUrl,
  hiddenFieldsOf,
  FormBrowser,
  deliveriesSettled,
  ExternalSystem,
  PASSWORD,
  token,
  type World,
} from '../webservices/harness';

/**
 * Issue 14, item 8: after a host has done everything that hands out a credential, no credential is
 * readable anywhere under its Redis prefix — key names, every value of every type, and BullMQ's job
 * hashes (data, opts, return values, failure reasons) included.
 */

/** Every spelling of a secret someone reading Redis could turn back into the secret. */
export function spellings(secret: string): string[] {
  const out = new Set<string>([secret, encodeURIComponent(secret)]);
  const utf8 = Buffer.from(secret, 'utf8');
  out.add(utf8.toString('hex'));
  out.add(utf8.toString('base64').replace(/=+$/, ''));
  out.add(utf8.toString('base64url'));
  if (/^[A-Za-z0-9_-]{16,}$/.test(secret)) {
    // Our tokens are base64url of random bytes: those bytes in hex or standard base64 are the same secret.
    const bytes = Buffer.from(secret, 'base64url');
    if (bytes.toString('base64url') === secret) {
      out.add(bytes.toString('hex'));
      out.add(bytes.toString('base64').replace(/=+$/, ''));
    }
  }
  return [...out];
}

/** SCAN (not KEYS) every key under the prefix, with every value of every type, as one text per key. */
export async function scanPrefix(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      else if (type === 'none') continue; // expired between SCAN and TYPE
      else throw new Error(`unexpected Redis type ${type} at ${key}`);
      out.set(key, `${type} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  } while (cursor !== '0');
  return out;
}

/** Where each named secret shows up, in any spelling: `name @ key`. */
export function findSecrets(dump: Map<string, string>, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    if (secret.length < 8) throw new Error(`${name} is too short to look for`);
    const forms = spellings(secret);
    for (const [key, value] of dump) {
      const text = `${key}\n${value}`;
      // A value stored as a JSON string escapes `/` and `"`; compare against the unescaped text too.
      const unescaped = text.replace(/\\(["\\/])/g, '$1');
      if (forms.some((f) => text.includes(f) || unescaped.includes(f))) found.push(`${name} @ ${key}`);
    }
  }
  return found;
}

type ScanHost = HostCore & { fake: FakeAcme };

describe('no credential is readable in Redis', () => {
  let host: ScanHost;
  let acme: FakeAcme;
  let netatmo: Awaited<ReturnType<typeof startNetatmoKitFake>>;
  let workers: RunningWorkers;
  let sys: ExternalSystem;
  /** Everything the test was handed that works as a credential, by name. */
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    acme = await FakeAcme.start();
    netatmo = await startNetatmoKitFake();
    const core = await startHostCore({
      fakes: { [NEUTRAL_CONNECTOR]: acme, netatmo },
      connectors: await neutralConnectors(),
      env: { WS_DELIVERY_BACKOFF_MS: '20', WS_DELIVERY_ATTEMPTS: '3' },
    });
    host = { ...core, fake: acme };
    workers = startWorkers(host.services, { concurrency: 4 });
    sys = await ExternalSystem.start();

    secrets['ADMIN_TOKEN'] = ADMIN_TOKEN;
    secrets['SECRET_KEY (hex)'] = host.config.secretKey.toString('hex');
    for (const [name, c] of Object.entries(host.config.connectors)) {
      if (c.clientSecret) secrets[`${name} client secret`] = c.clientSecret;
    }

    // An installation of the neutral connector linked through its fake cloud: installation token, provider tokens, link cookies.
    const acmeInst = await link(host, undefined, NEUTRAL_CONNECTOR);
    secrets['acme installation token'] = acmeInst.accessToken;
    const select = await host.admin(`/api/installations/${acmeInst.id}/settings`, {
      method: 'PUT',
      body: JSON.stringify({ devices: ['dev-1', 'dev-2', 'dev-3'] }),
    });
    expect(select.status).toBe(200);

    // A Netatmo one too: it registers a callback URL (callback token), and a push makes webhook jobs.
    const net = await link({ ...core, fake: netatmo }, undefined, 'netatmo');
    secrets['netatmo installation token'] = net.accessToken;
    const home = netatmo.homes()[0];
    const room = home?.rooms[0];
    if (!home || !room) throw new Error('fake netatmo has no rooms');
    expect(
      (await host.admin(`/api/installations/${net.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: [`${home.id}.${room.id}`] }) })).status,
    ).toBe(200);
    const callback = await eventually(async () => netatmo.webhookUrl(), 'the callback URL registration');
    secrets['netatmo callback token'] = new URL(callback).searchParams.get('access_token') ?? '';
    const pushed = await netatmo.userSetsRoomSetpoint(home.id, room.id, 23.5, 'manual');
    expect(pushed.map((d) => d.status)).toEqual([200, 200]);
    await eventually(async () => {
      const list = ((await (await host.admin(`/api/installations/${net.id}/devices`)).json()) as { items: { attributes: Record<string, unknown> }[] }).items;
      return list[0]?.attributes['heatingSetpoint'] === 23.5;
    }, 'the push to be applied');
    // Completed webhook jobs are removed; hold the next ones in the queue so the scan sees their data.
    await host.services.webhooks.queue.pause();
    expect((await netatmo.userSetsRoomSetpoint(home.id, room.id, 21, 'manual')).map((d) => d.status)).toEqual([200, 200]);

    for (const [label, inst] of [['acme', acmeInst], ['netatmo', net]] as const) {
      const stored = await host.services.tokens.get(inst.id);
      secrets[`${label} provider access token`] = stored?.tokens.accessToken ?? '';
      secrets[`${label} provider refresh token`] = stored?.tokens.refreshToken ?? '';
    }

    // A linking left pending: its state (in the cloud URL) and the browser's nonce cookie.
    const pending = await host.admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: 'elsewhere' }) });
    const pendingInst = (await pending.json()) as { id: string; accessToken: string };
    secrets['pending installation token'] = pendingInst.accessToken;
    const init = await fetch(
      `${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/initialize?appId=${pendingInst.id}&access_token=${encodeURIComponent(pendingInst.accessToken)}`,
      { redirect: 'manual' },
    );
    expect(init.status).toBe(302);
    // The state itself: it was part of a key name until it was used.
    secrets['pending linking state'] = new URL(init.headers.get('location') ?? '').searchParams.get('state') ?? '';
    for (const line of init.headers.getSetCookie()) {
      const [name, value] = (line.split(';')[0] ?? '').split('=');
      if (name && value) secrets[`linking cookie ${name}`] = value;
    }

    // The operator's session cookie.
    const operator = await operatorLogin(host.url, ADMIN_TOKEN);
    for (const line of operator.headers.getSetCookie()) {
      const [name, value] = (line.split(';')[0] ?? '').split('=');
      if (name && value) secrets[`operator cookie ${name}`] = value;
    }

    // Web Services: a user, a client, authorize -> token, a refresh, a subscription and its deliveries.
    const installation = (await (await host.admin(`/api/installations/${acmeInst.id}`)).json()) as { locationId: string };
    const devices = ((await (await host.admin(`/api/installations/${acmeInst.id}/devices`)).json()) as { items: { id: string; externalId: string }[] }).items;
    const username = `scan-${Math.random().toString(36).slice(2, 8)}`;
    const userRes = await host.admin('/api/users', {
      method: 'POST',
      body: JSON.stringify({ username, password: PASSWORD, locations: [{ id: installation.locationId, name: 'Home' }] }),
    });
    expect(userRes.status).toBe(201);
    const user = (await userRes.json()) as { id: string };
    secrets['user password'] = PASSWORD;
    const clientRes = await host.admin('/api/clients', {
      method: 'POST',
      body: JSON.stringify({ name: 'Scanner', redirectUris: [sys.callbackUri], scopes: ['app'] }),
    });
    expect(clientRes.status).toBe(201);
    const client = (await clientRes.json()) as { clientId: string; clientSecret: string };
    secrets['client secret'] = client.clientSecret;

    const w: World = {
      host: host as NeutralHost,
      workers,
      sys,
      installationId: acmeInst.id,
      locationId: installation.locationId,
      devices: new Map(devices.map((d) => [d.externalId, d.id])),
      user: { id: user.id, username, password: PASSWORD },
      client,
      close: async () => undefined,
    };
    const living = w.devices.get('dev-1') ?? '';
    const { tokens, code } = await authorizeAndExchange(w, [living]);
    secrets['authorization code'] = code;
    secrets['access token'] = tokens.access_token;
    secrets['refresh token'] = tokens.refresh_token;
    const refreshed = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.res.status).toBe(200);
    secrets['rotated access token'] = String(refreshed.json['access_token']);
    secrets['rotated refresh token'] = String(refreshed.json['refresh_token']);

    // A consent walk left half-way (signed in, location not chosen): its session cookie.
    const browser = new FormBrowser();
    const login = await browser.get(authorizeUrl(w));
    secrets['authorize pending-request cookie'] = browser.cookie('sm_authz_pending') ?? '';
    const signedIn = await browser.post(`${host.url}/oauth/authorize/login`, { ...hiddenFieldsOf(await login.text()), username, password: PASSWORD });
    expect(signedIn.status).toBe(303);
    secrets['authorize session cookie'] = browser.cookie('sm_authz') ?? '';

    const api = bearer(w, String(refreshed.json['access_token']));
    const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string }[];
    const created = await api(`${ep?.uri ?? ''}/subscriptions`, {
      method: 'POST',
      body: JSON.stringify({ targetUrl: sys.hookUrl, events: ['device.stateChanged'] }),
    });
    expect(created.status).toBe(201);
    const sub = (await created.json()) as { id: string; secret: string };
    secrets['subscription signing secret'] = sub.secret;
    const confirmation = await eventually(async () => sys.hooks().find((h) => h.lifecycle === 'CONFIRMATION'), 'the CONFIRMATION');
    const confirmationUrl = (confirmation.body['confirmationData'] as { confirmationUrl: string }).confirmationUrl;
    secrets['subscription confirmation token'] = new URL(confirmationUrl).searchParams.get('token') ?? '';
    expect((await fetch(confirmationUrl)).status).toBe(200);
    // A second subscription that never confirms: its CONFIRMATION job fails and stays in the failed set.
    sys.failures = [500, 500, 500];
    const unconfirmed = await api(`${ep?.uri ?? ''}/subscriptions`, {
      method: 'POST',
      body: JSON.stringify({ targetUrl: sys.hookUrl, events: ['device.stateChanged'] }),
    });
    expect(unconfirmed.status).toBe(201);
    secrets['unconfirmed subscription signing secret'] = ((await unconfirmed.json()) as { secret: string }).secret;
    const queue = host.services.webServices.deliveries.queue;
    await eventually(async () => ((await queue.getJobCounts('failed'))['failed'] ?? 0) > 0, 'the unconfirmed CONFIRMATION to fail');
    const failedConfirmation = sys.received.filter((r) => r.path === '/hook' && r.status === 500).at(-1);
    const failedUrl = (JSON.parse(failedConfirmation?.body ?? '{}') as { confirmationData?: { confirmationUrl?: string } }).confirmationData?.confirmationUrl;
    secrets['unconfirmed confirmation token'] = new URL(failedUrl ?? 'http://x/').searchParams.get('token') ?? '';

    // An event delivered to the confirmed subscription (a drain job, completed).
    acme.update('dev-1', { temperature: 23.1 });
    await eventually(async () => {
      // Asked again until it shows: a poll asked for while another is finishing is debounced into it.
      expect((await host.admin(`/api/installations/${acmeInst.id}/poll`, { method: 'POST' })).status).toBe(202);
      return sys.hooks().some((h) => h.lifecycle === 'EVENT');
    }, 'an EVENT delivery');
    await deliveriesSettled(w);
  }, 60_000);

  afterAll(async () => {
    await workers?.close();
    await host?.services.webServices.deliveries.close();
    await sys?.close();
    await host?.close();
    await acme?.stop();
    await netatmo?.stop();
  });

  it('every credential the test was handed is non-empty (the scan below is not vacuous)', () => {
    for (const [name, value] of Object.entries(secrets)) expect(value.length, name).toBeGreaterThanOrEqual(8);
    expect(Object.keys(secrets)).toEqual(
      expect.arrayContaining([
        'acme installation token', 'netatmo callback token', 'acme provider access token', 'acme provider refresh token', 'acme client secret',
        'client secret', 'user password', 'authorization code', 'access token', 'refresh token',
        'subscription signing secret', 'subscription confirmation token', 'unconfirmed confirmation token', 'authorize session cookie',
        'linking cookie sm_oauth', 'pending linking state',
      ]),
    );
  });

  it('the scanner finds a planted secret in every spelling and type (self-test)', async () => {
    const planted = secrets['subscription confirmation token'] ?? '';
    const bytes = Buffer.from(planted, 'base64url');
    const p = host.config.keyPrefix;
    await host.inspect.set(`${p}:canary:string`, `x${bytes.toString('hex')}x`);
    await host.inspect.hset(`${p}:canary:hash`, 'data', JSON.stringify({ url: `https://h/?t=${encodeURIComponent(planted)}` }));
    await host.inspect.xadd(`${p}:canary:stream`, '*', 'v', bytes.toString('base64'));
    await host.inspect.zadd(`${p}:canary:zset`, 1, planted);
    try {
      const found = findSecrets(await scanPrefix(host.inspect, p), { planted });
      expect(found.filter((f) => f.includes(':canary:')).sort()).toEqual(
        ['string', 'hash', 'stream', 'zset'].map((t) => `planted @ ${p}:canary:${t}`).sort(),
      );
    } finally {
      await host.inspect.del(`${p}:canary:string`, `${p}:canary:hash`, `${p}:canary:stream`, `${p}:canary:zset`);
    }
  });

  it('SCAN of every key under the prefix (BullMQ job hashes included) finds none of them, in any spelling', async () => {
    const dump = await scanPrefix(host.inspect, host.config.keyPrefix);
    // What was scanned: delivery and webhook jobs with their data, and the stores.
    const jobs = [...dump.entries()].filter(([k, v]) => /:bull:[^:]+:[^:]+$/.test(k) && v.startsWith('hash ') && v.includes('"data"'));
    expect(jobs.some(([k]) => k.includes(':bull:smartapp-delivery:'))).toBe(true);
    expect(jobs.some(([k]) => k.includes(':bull:webhook'))).toBe(true);
    expect(dump.size).toBeGreaterThan(30);
    expect(findSecrets(dump, secrets)).toEqual([]);
  });
});

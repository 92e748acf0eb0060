import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeNetatmo, type FakeNetatmoOptions, type TokenResponse } from '../fake/server';

/**
 * The fake Netatmo cloud over real HTTP (global fetch), and a real receiver for its webhooks.
 * Expected shapes follow /work/shared/netatmo-api.md (§1.3 tokens, §2.2 errors, §3 webhooks).
 */

const REDIRECT_URI = 'http://127.0.0.1:4999/oauth/callback';
const SCOPE = 'read_thermostat write_thermostat';
const TOKEN_SHAPE = /^[0-9a-f]{24}\|[0-9a-f]{32}$/;

// ---------------------------------------------------------------------------------------------
// helpers

let fake: FakeNetatmo;
const running: Array<{ stop(): Promise<void> }> = [];

async function startFake(opts: FakeNetatmoOptions = {}): Promise<FakeNetatmo> {
  const started = await FakeNetatmo.start(opts);
  running.push(started);
  return started;
}

beforeEach(async () => {
  fake = await startFake();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

interface Received {
  body: string;
  signature: string | undefined;
  contentType: string | undefined;
}

/** A webhook receiver on 127.0.0.1 that answers `status` (changeable) and records what it got. */
async function startReceiver(status = 200): Promise<{ url: string; received: Received[]; answer(s: number): void; stop(): Promise<void> }> {
  const received: Received[] = [];
  let current = status;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const signature = req.headers['x-netatmo-secret'];
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: typeof signature === 'string' ? signature : undefined,
        contentType: req.headers['content-type'],
      });
      res.writeHead(current, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?access_token=abc`,
    received,
    answer: (s: number) => {
      current = s;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  running.push(receiver);
  return receiver;
}

function authorizeUrl(f: FakeNetatmo, params: Record<string, string | null> = {}): string {
  const url = new URL('/oauth2/authorize', f.url);
  const all: Record<string, string | null> = {
    client_id: f.clientId,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: 'st-123',
    response_type: 'code',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== null) url.searchParams.set(name, value);
  return url.toString();
}

async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers, redirect: 'manual' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const tokenUrl = (f: FakeNetatmo) => new URL('/oauth2/token', f.url).toString();

async function codeFor(f: FakeNetatmo, params: Record<string, string | null> = {}): Promise<string> {
  const location = new URL(await f.approve(authorizeUrl(f, params)));
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code in ${location.href}`);
  return code;
}

async function login(f: FakeNetatmo = fake): Promise<TokenResponse> {
  const res = await postForm(tokenUrl(f), {
    grant_type: 'authorization_code',
    client_id: f.clientId,
    client_secret: f.clientSecret,
    code: await codeFor(f),
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
  });
  expect(res.status).toBe(200);
  return res.body as unknown as TokenResponse;
}

const refresh = (f: FakeNetatmo, refreshToken: string) =>
  postForm(tokenUrl(f), { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: f.clientId, client_secret: f.clientSecret });

async function api(f: FakeNetatmo, method: string, token: string | undefined, params: Record<string, string> = {}) {
  const url = new URL(`/api/${method}`, f.url);
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params) });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

interface ApiBody {
  status?: string;
  body?: unknown;
  error?: { code: number; message: string };
  time_server?: number;
  time_exec?: number;
}
interface HomesDataBody {
  homes: Array<{
    therm_mode: string;
    rooms: Array<{ id: string; name: string; type: string; module_ids: string[] }>;
    modules: Array<{ id: string; type: string; name: string; room_id?: string; bridge?: string; modules_bridged?: string[] }>;
  }>;
  user: { id: string; email: string };
}
interface HomeStatusBody {
  home: {
    rooms: Array<{ id: string; reachable: boolean; therm_measured_temperature: number; therm_setpoint_temperature: number; therm_setpoint_mode: string }>;
    modules: Array<{ id: string; type: string; reachable?: boolean; battery_level?: number; battery_state?: string }>;
  };
  errors?: Array<{ code: number; id: string }>;
}
const homesData = async (f: FakeNetatmo, token: string) => (await api(f, 'homesdata', token)).body.body as HomesDataBody;
const homeStatus = async (f: FakeNetatmo, token: string, homeId: string) =>
  (await api(f, 'homestatus', token, { home_id: homeId })).body.body as HomeStatusBody;

const home = () => {
  const h = fake.homes()[0];
  if (!h) throw new Error('no home');
  return h;
};
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

// ---------------------------------------------------------------------------------------------

describe('FakeNetatmo lifecycle', () => {
  it('listens on an ephemeral 127.0.0.1 port with a client id, secret and a 24-hex user id', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.clientId.length).toBeGreaterThan(0);
    expect(fake.clientSecret.length).toBeGreaterThan(0);
    expect(fake.userId).toMatch(/^[0-9a-f]{24}$/);
  });

  it('seeds a demo home: a relay, a thermostat room and valve rooms, with batteries', () => {
    const h = home();
    expect(h.rooms.map((r) => r.name)).toEqual(['Living room', 'Bedroom', 'Kitchen']);
    expect(h.modules.map((m) => m.type).sort()).toEqual(['NAPlug', 'NATherm1', 'NRV', 'NRV', 'NRV']);
    expect(h.modules.filter((m) => m.type !== 'NAPlug').every((m) => m.batteryLevel !== undefined && m.reachable)).toBe(true);
    expect(h.thermMode).toBe('schedule');
  });

  it('answers unknown paths with 404 JSON, and stop() is idempotent', async () => {
    const res = await fetch(new URL('/api/nosuchthing', fake.url));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404 } });
    const other = await FakeNetatmo.start();
    await other.stop();
    await other.stop();
  });
});

describe('GET|POST /oauth2/authorize', () => {
  it('renders an escaped sign-in page with the requested scopes', async () => {
    const res = await fetch(authorizeUrl(fake, { state: '<script>x</script>' }));
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('read_thermostat');
    expect(page).toContain('write_thermostat');
    expect(page).not.toContain('<script>x</script>');
    expect(page).toContain('&lt;script&gt;');
  });

  it('approve(accept) => redirect with code and state; approve(decline) => error=access_denied', async () => {
    const accepted = new URL(await fake.approve(authorizeUrl(fake)));
    expect(accepted.origin + accepted.pathname).toBe(REDIRECT_URI);
    expect(accepted.searchParams.get('state')).toBe('st-123');
    expect(accepted.searchParams.get('code')).toMatch(/^[0-9a-f]{32}$/);
    const declined = new URL(await fake.approve(authorizeUrl(fake), 'decline'));
    expect(declined.searchParams.get('error')).toBe('access_denied');
    expect(declined.searchParams.get('code')).toBeNull();
  });

  it('wrong password => the form again with an error, no redirect', async () => {
    const page = await (await fetch(authorizeUrl(fake))).text();
    const hidden = Object.fromEntries([...page.matchAll(/name="([^"]*)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const res = await fetch(new URL('/oauth2/authorize', fake.url), {
      method: 'POST',
      body: new URLSearchParams({ ...hidden, username: 'demo@example.com', password: 'nope', decision: 'accept' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Incorrect email or password.');
  });

  it('unknown client or bad redirect_uri => error page, never a redirect', async () => {
    await expect(fake.approve(authorizeUrl(fake, { client_id: 'other' }))).rejects.toThrow('Unknown application');
    await expect(fake.approve(authorizeUrl(fake, { redirect_uri: 'javascript:alert(1)' }))).rejects.toThrow('redirect_uri');
  });
});

describe('POST /oauth2/token', () => {
  it('authorization_code (form body with client_id and client_secret) => §1.3 tokens: scope array, expires_in = expire_in = 10800', async () => {
    const tokens = await login();
    expect(tokens.access_token).toMatch(TOKEN_SHAPE);
    expect(tokens.refresh_token).toMatch(TOKEN_SHAPE);
    expect(tokens.access_token.split('|')[0]).toBe(fake.userId);
    expect(tokens.scope).toEqual(['read_thermostat', 'write_thermostat']);
    expect(tokens.expires_in).toBe(10800);
    expect(tokens.expire_in).toBe(10800);
  });

  it('a code is single use and bound to its redirect_uri', async () => {
    const code = await codeFor(fake);
    const form = { grant_type: 'authorization_code', client_id: fake.clientId, client_secret: fake.clientSecret, code };
    expect(await postForm(tokenUrl(fake), { ...form, redirect_uri: 'http://127.0.0.1:1/other' })).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(await postForm(tokenUrl(fake), { ...form, redirect_uri: REDIRECT_URI })).toEqual({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('wrong or missing client secret, or credentials only in HTTP Basic => 400 invalid_client', async () => {
    const code = await codeFor(fake);
    const base = { grant_type: 'authorization_code', client_id: fake.clientId, code, redirect_uri: REDIRECT_URI };
    expect(await postForm(tokenUrl(fake), { ...base, client_secret: 'wrong' })).toEqual({ status: 400, body: { error: 'invalid_client' } });
    expect(await postForm(tokenUrl(fake), base)).toEqual({ status: 400, body: { error: 'invalid_client' } });
    const basic = `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`;
    const { client_id: _omit, ...withoutClient } = base;
    expect(await postForm(tokenUrl(fake), withoutClient, { authorization: basic })).toEqual({ status: 400, body: { error: 'invalid_client' } });
  });

  it('missing or unsupported grant types => invalid_request / unsupported_grant_type', async () => {
    const creds = { client_id: fake.clientId, client_secret: fake.clientSecret };
    expect((await postForm(tokenUrl(fake), creds)).body).toEqual({ error: 'invalid_request' });
    expect((await postForm(tokenUrl(fake), { ...creds, grant_type: 'password', username: 'demo@example.com', password: 'demo' })).body).toEqual({
      error: 'unsupported_grant_type',
    });
  });
});

describe('rotating refresh tokens (§1.4)', () => {
  it('refresh => both tokens renewed; the former access token is invalid (code 2), the former refresh token refused and counted stale', async () => {
    const first = await login();
    const res = await refresh(fake, first.refresh_token);
    expect(res.status).toBe(200);
    const second = res.body as unknown as TokenResponse;
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toEqual(['read_thermostat', 'write_thermostat']);

    expect(await api(fake, 'homesdata', first.access_token)).toEqual({ status: 403, body: { error: { code: 2, message: 'Invalid access token' } } });
    expect((await api(fake, 'homesdata', second.access_token)).status).toBe(200);

    expect(await refresh(fake, first.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(fake.staleRefreshAttempts()).toBe(1);
    expect(fake.refreshCount()).toBe(2);
    // The stale attempt did not hurt the current session.
    expect((await refresh(fake, second.refresh_token)).status).toBe(200);
    expect(fake.staleRefreshAttempts()).toBe(1);
  });

  it('an unknown or missing refresh token => invalid_grant / invalid_request, not counted stale', async () => {
    expect((await refresh(fake, `${fake.userId}|${'0'.repeat(32)}`)).body).toEqual({ error: 'invalid_grant' });
    expect((await postForm(tokenUrl(fake), { grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret })).body).toEqual({
      error: 'invalid_request',
    });
    expect(fake.staleRefreshAttempts()).toBe(0);
  });

  it('expireAccessTokens() => 403 code 3 "Access token expired"; a refresh fixes it', async () => {
    const tokens = await login();
    fake.expireAccessTokens();
    expect(await api(fake, 'homesdata', tokens.access_token)).toEqual({ status: 403, body: { error: { code: 3, message: 'Access token expired' } } });
    const renewed = (await refresh(fake, tokens.refresh_token)).body as unknown as TokenResponse;
    expect((await api(fake, 'homesdata', renewed.access_token)).status).toBe(200);
  });

  it('deauthorize() => API 403 code 2, refresh 400 invalid_grant; a new sign-in works', async () => {
    const tokens = await login();
    fake.deauthorize();
    expect((await api(fake, 'homesdata', tokens.access_token)).body).toEqual({ error: { code: 2, message: 'Invalid access token' } });
    expect(await refresh(fake, tokens.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect((await api(fake, 'homesdata', (await login()).access_token)).status).toBe(200);
  });

  it('access tokens die after expires_in on the fake clock', async () => {
    let clock = Date.now();
    const f = await startFake({ now: () => clock, accessTokenTtlS: 60 });
    const tokens = f.issueTokens();
    expect((await api(f, 'homesdata', tokens.access_token)).status).toBe(200);
    clock += 60_000;
    expect((await api(f, 'homesdata', tokens.access_token)).body).toMatchObject({ error: { code: 3 } });
  });
});

describe('/api/* authentication and scopes', () => {
  it('no bearer => 403 code 1; read-only token => setroomthermpoint 403 code 13', async () => {
    expect(await api(fake, 'homesdata', undefined)).toEqual({ status: 403, body: { error: { code: 1, message: 'Access token is missing' } } });
    const readOnly = fake.issueTokens(['read_thermostat']);
    expect((await api(fake, 'homesdata', readOnly.access_token)).status).toBe(200);
    const h = home();
    const res = await api(fake, 'setroomthermpoint', readOnly.access_token, { home_id: h.id, room_id: h.rooms[0]?.id ?? '', mode: 'manual', temp: '21' });
    expect(res).toMatchObject({ status: 403, body: { error: { code: 13 } } });
  });
});

describe('Energy API', () => {
  let token: string;
  beforeEach(() => {
    token = fake.issueTokens().access_token;
  });

  it('homesdata (GET query or POST form) => homes with rooms→module_ids, modules with bridge and room_id, and the user id', async () => {
    const res = await fetch(new URL('/api/homesdata', fake.url), { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as ApiBody;
    expect(body.status).toBe('ok');
    expect(typeof body.time_server).toBe('number');
    const data = body.body as HomesDataBody;
    expect(data.user).toMatchObject({ id: fake.userId, email: 'demo@example.com' });
    const h = data.homes[0];
    expect(h?.therm_mode).toBe('schedule');
    expect(h?.rooms[1]).toEqual({ id: '2833524037', name: 'Bedroom', type: 'bedroom', module_ids: ['09:00:00:00:a5:54', '09:00:00:00:a5:55'] });
    const relay = h?.modules.find((m) => m.type === 'NAPlug');
    expect(relay?.modules_bridged).toHaveLength(4);
    expect(h?.modules.find((m) => m.id === '09:00:00:00:a5:54')).toMatchObject({ type: 'NRV', room_id: '2833524037', bridge: relay?.id });
    expect((await api(fake, 'homesdata', token)).body).toEqual({ ...body, time_server: expect.any(Number), time_exec: expect.any(Number) });
  });

  it('homestatus => measured/setpoint temperatures, mode, reachability and battery; missing home_id => 400 code 10', async () => {
    expect(await api(fake, 'homestatus', token)).toEqual({ status: 400, body: { error: { code: 10, message: 'Missing home_id' } } });
    expect((await api(fake, 'homestatus', token, { home_id: 'ffffffffffffffffffffffff' })).body).toMatchObject({ error: { code: 21 } });
    const status = await homeStatus(fake, token, home().id);
    expect(status.home.rooms[0]).toMatchObject({
      id: '2746182631',
      reachable: true,
      therm_measured_temperature: 19.8,
      therm_setpoint_temperature: 20,
      therm_setpoint_mode: 'schedule',
    });
    expect(status.home.modules.find((m) => m.type === 'NATherm1')).toMatchObject({ battery_level: 3793, battery_state: 'high', reachable: true });
    expect(status.errors).toBeUndefined();
  });

  it('an unreachable valve => listed reachable:false without battery, and body.errors code 6 (§2.1)', async () => {
    fake.setModuleState('09:00:00:00:a0:ac', { reachable: false });
    fake.setModuleState('09:00:00:00:a5:55', { batteryLevel: 2500 });
    const status = await homeStatus(fake, token, home().id);
    expect(status.errors).toEqual([{ code: 6, id: '09:00:00:00:a0:ac' }]);
    expect(status.home.modules.find((m) => m.id === '09:00:00:00:a0:ac')).toEqual({
      id: '09:00:00:00:a0:ac',
      type: 'NRV',
      reachable: false,
      bridge: '70:ee:50:00:00:01',
    });
    expect(status.home.rooms.find((r) => r.id === '2940411577')?.reachable).toBe(false);
    expect(status.home.modules.find((m) => m.id === '09:00:00:00:a5:55')?.battery_state).toBe('low');
  });

  it('setroomthermpoint manual / max / home => state changes; bad input => code 10 or 21, state untouched', async () => {
    const h = home();
    const [living, bedroom] = h.rooms;
    const set = (params: Record<string, string>) => api(fake, 'setroomthermpoint', token, { home_id: h.id, ...params });
    expect(await set({ room_id: living?.id ?? '', mode: 'manual', temp: '22.5' })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(fake.room(h.id, living?.id ?? '')).toMatchObject({ setpoint: 22.5, mode: 'manual' });
    expect(fake.room(h.id, living?.id ?? '')?.setpointEndTime).toBeGreaterThan(Date.now() / 1000);

    expect((await set({ room_id: living?.id ?? '', mode: 'manual', temp: '99' })).body).toEqual({ error: { code: 21, message: 'Invalid temp' } });
    expect((await set({ room_id: living?.id ?? '', mode: 'manual' })).body).toMatchObject({ error: { code: 10 } });
    expect((await set({ room_id: living?.id ?? '', mode: 'boost' })).body).toEqual({ error: { code: 21, message: 'mode not authorized' } });
    expect((await set({ room_id: living?.id ?? '' })).body).toEqual({ error: { code: 10, message: 'mode is missing' } });
    expect((await set({ room_id: '1', mode: 'home' })).body).toEqual({ error: { code: 21, message: 'Invalid id' } });
    expect((await set({ room_id: bedroom?.id ?? '', mode: 'max' })).body).toEqual({
      error: { code: 21, message: 'max mode can only be applied on thermostat room' },
    });
    expect(fake.room(h.id, living?.id ?? '')?.setpoint).toBe(22.5);

    expect((await set({ room_id: living?.id ?? '', mode: 'max' })).status).toBe(200);
    expect(fake.room(h.id, living?.id ?? '')).toMatchObject({ setpoint: 30, mode: 'max' });
    expect((await set({ room_id: living?.id ?? '', mode: 'home' })).status).toBe(200);
    expect(fake.room(h.id, living?.id ?? '')).toMatchObject({ setpoint: 20, mode: 'schedule' });
  });

  it('a manual setpoint ends at its endtime on the fake clock', async () => {
    let clock = Date.now();
    const f = await startFake({ now: () => clock });
    const h = f.homes()[0];
    const room = h?.rooms[0];
    const endtime = String(Math.floor(clock / 1000) + 60);
    const t = f.issueTokens().access_token;
    expect((await api(f, 'setroomthermpoint', t, { home_id: h?.id ?? '', room_id: room?.id ?? '', mode: 'manual', temp: '23', endtime })).status).toBe(200);
    expect(f.room(h?.id ?? '', room?.id ?? '')?.setpoint).toBe(23);
    clock += 61_000;
    expect(f.room(h?.id ?? '', room?.id ?? '')).toMatchObject({ setpoint: 20, mode: 'schedule' });
  });

  it('setthermmode away / hg / schedule => every room follows; manual setpoints are reset', async () => {
    const h = home();
    await api(fake, 'setroomthermpoint', token, { home_id: h.id, room_id: h.rooms[0]?.id ?? '', mode: 'manual', temp: '25' });
    expect((await api(fake, 'setthermmode', token, { home_id: h.id, mode: 'away' })).status).toBe(200);
    expect(fake.homes()[0]?.rooms.map((r) => [r.mode, r.setpoint])).toEqual([['away', 14], ['away', 14], ['away', 14]]);
    expect((await homesData(fake, token)).homes[0]?.therm_mode).toBe('away');
    await api(fake, 'setthermmode', token, { home_id: h.id, mode: 'hg' });
    expect(fake.homes()[0]?.rooms.every((r) => r.mode === 'hg' && r.setpoint === 7)).toBe(true);
    await api(fake, 'setthermmode', token, { home_id: h.id, mode: 'schedule' });
    expect(fake.homes()[0]?.rooms.map((r) => r.setpoint)).toEqual([20, 17, 19]);
    expect((await api(fake, 'setthermmode', token, { home_id: h.id, mode: 'eco' })).body).toMatchObject({ error: { code: 21 } });
  });

  it('room hooks: rename shows in homesdata only, remove drops the room and its modules, add creates one', async () => {
    const h = home();
    fake.renameRoom(h.id, '2746182631', 'Lounge');
    fake.removeRoom(h.id, '2940411577');
    fake.addRoom(h.id, { id: '3000000001', name: 'Office', modules: [{ id: '09:00:00:00:ff:01', type: 'NRV', name: 'Office valve' }] });
    const data = (await homesData(fake, token)).homes[0];
    expect(data?.rooms.map((r) => r.name)).toEqual(['Lounge', 'Bedroom', 'Office']);
    expect(data?.modules.map((m) => m.id)).not.toContain('09:00:00:00:a0:ac');
    fake.setRoomState(h.id, '3000000001', { measuredTemperature: 16.5 });
    const status = await homeStatus(fake, token, h.id);
    expect(status.home.rooms.find((r) => r.id === '3000000001')?.therm_measured_temperature).toBe(16.5);
  });
});

describe('webhooks (§3)', () => {
  let token: string;
  beforeEach(() => {
    token = fake.issueTokens().access_token;
  });

  it('addwebhook => registered, and the webhook_activation push is delivered, signed, before the answer', async () => {
    const receiver = await startReceiver();
    expect((await api(fake, 'addwebhook', token, { url: receiver.url })).status).toBe(200);
    expect(fake.webhookUrl()).toBe(receiver.url);
    expect(receiver.received).toHaveLength(1);
    const [activation] = receiver.received;
    expect(JSON.parse(activation?.body ?? '')).toEqual({ user_id: fake.userId, user: { id: fake.userId, email: 'demo@example.com' }, push_type: 'webhook_activation' });
    expect(activation?.signature).toBe(sign(fake.clientSecret, activation?.body ?? ''));
    expect(activation?.contentType).toBe('application/json');
  });

  it('addwebhook to a receiver that never answers => registered and answered anyway, without waiting for the delivery timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    running.push({ stop: () => new Promise<void>((r) => (silent.closeAllConnections(), silent.close(() => r()))) });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
    const res = await fetch(new URL('/api/addwebhook', fake.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ url }),
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);
    expect(fake.webhookUrl()).toBe(url);
  });

  it('one URL per user and app: a second addwebhook replaces the first; dropwebhook removes it; again => 406 code 7', async () => {
    const a = await startReceiver();
    const b = await startReceiver();
    await api(fake, 'addwebhook', token, { url: a.url });
    await api(fake, 'addwebhook', token, { url: b.url });
    expect(fake.webhookUrl()).toBe(b.url);
    const h = home();
    await fake.userSetsRoomSetpoint(h.id, h.rooms[0]?.id ?? '', 21.5);
    expect(a.received).toHaveLength(1); // its activation only
    expect(b.received).toHaveLength(3);
    expect((await api(fake, 'dropwebhook', token)).status).toBe(200);
    expect(fake.webhookUrl()).toBeUndefined();
    expect(await api(fake, 'dropwebhook', token)).toEqual({ status: 406, body: { error: { code: 7, message: 'Nothing to drop' } } });
  });

  it('addwebhook with a bad URL => 400 code 21; with enforceWebhookPorts, a port outside 80/88/443/9443 => 400 code 21', async () => {
    expect((await api(fake, 'addwebhook', token, { url: 'not a url' })).body).toEqual({ error: { code: 21, message: 'Invalid url parameter' } });
    expect((await api(fake, 'addwebhook', token)).body).toMatchObject({ error: { code: 10 } });
    const strict = await startFake({ enforceWebhookPorts: true });
    const t = strict.issueTokens().access_token;
    expect((await api(strict, 'addwebhook', t, { url: 'https://example.com:8443/hook' })).body).toEqual({
      error: { code: 21, message: 'Allowed ports for webhooks are 80, 88, 443 and 9443.' },
    });
    expect(strict.webhookUrl()).toBeUndefined();
  });

  it('userSetsRoomSetpoint => display_change and its device_event twin, signed over the exact bytes, state changed', async () => {
    const receiver = await startReceiver();
    await api(fake, 'addwebhook', token, { url: receiver.url });
    const h = home();
    const roomId = h.rooms[1]?.id ?? '';
    const deliveries = await fake.userSetsRoomSetpoint(h.id, roomId, 23.5, 'manual');
    expect(deliveries.map((d) => d.status)).toEqual([200, 200]);
    expect(fake.room(h.id, roomId)).toMatchObject({ setpoint: 23.5, mode: 'manual' });
    const [display, device] = receiver.received.slice(1).map((r) => ({ ...r, json: JSON.parse(r.body) as unknown }));
    expect(display?.json).toMatchObject({
      user_id: fake.userId,
      home_id: h.id,
      room_id: roomId,
      event_type: 'setpoint_event',
      push_type: 'display_change',
      mode: 'manual',
      temperature: 23.5,
      home: { id: h.id, rooms: [{ id: roomId, therm_setpoint_mode: 'manual', therm_setpoint_temperature: 23.5 }] },
    });
    expect(device?.json).toMatchObject({
      push_type: 'device_event',
      home_id: h.id,
      extra_params: { event_type: 'setpoint_event', room_id: roomId, mode: 'manual', temperature: 23.5 },
    });
    for (const r of [display, device]) expect(r?.signature).toBe(sign(fake.clientSecret, r?.body ?? ''));
  });

  it('a setpoint back to home (or off) is pushed with temperature 0, which is not a setpoint (§3.4)', async () => {
    const receiver = await startReceiver();
    await api(fake, 'addwebhook', token, { url: receiver.url });
    const h = home();
    await fake.userSetsRoomSetpoint(h.id, h.rooms[0]?.id ?? '', 0, 'home');
    expect(JSON.parse(receiver.received[1]?.body ?? '')).toMatchObject({ mode: 'home', temperature: 0 });
    await fake.userSetsRoomSetpoint(h.id, h.rooms[0]?.id ?? '', 0, 'off');
    expect(JSON.parse(receiver.received[3]?.body ?? '')).toMatchObject({ mode: 'off', temperature: 0 });
    expect(fake.room(h.id, h.rooms[0]?.id ?? '')?.mode).toBe('off');
  });

  it('userSetsThermMode => one home_event_changed/therm_mode push with the previous mode', async () => {
    const receiver = await startReceiver();
    await api(fake, 'addwebhook', token, { url: receiver.url });
    const deliveries = await fake.userSetsThermMode(home().id, 'hg');
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]?.body ?? '')).toMatchObject({ event_type: 'therm_mode', push_type: 'home_event_changed', mode: 'hg', previous_mode: 'schedule' });
  });

  it('an API write (setroomthermpoint) is pushed too, after the answer', async () => {
    const receiver = await startReceiver();
    await api(fake, 'addwebhook', token, { url: receiver.url });
    const h = home();
    await api(fake, 'setroomthermpoint', token, { home_id: h.id, room_id: h.rooms[0]?.id ?? '', mode: 'manual', temp: '21' });
    await fake.deliveriesSettled();
    expect(receiver.received.slice(1).map((r) => (JSON.parse(r.body) as { push_type: string }).push_type)).toEqual(['display_change', 'device_event']);
  });

  it('no webhook registered => nothing delivered', async () => {
    const h = home();
    expect(await fake.userSetsRoomSetpoint(h.id, h.rooms[0]?.id ?? '', 21)).toEqual([]);
    expect(fake.deliveries()).toEqual([]);
  });

  it('deliverRaw => the body as is, signed with the client secret, another secret, or a given header', async () => {
    const receiver = await startReceiver();
    await fake.deliverRaw(receiver.url, '{"a":1}');
    await fake.deliverRaw(receiver.url, '{"a":1}', { secret: 'other' });
    await fake.deliverRaw(receiver.url, '{"a":1}', { signature: 'forged' });
    expect(receiver.received.map((r) => r.signature)).toEqual([sign(fake.clientSecret, '{"a":1}'), sign('other', '{"a":1}'), 'forged']);
    expect(fake.deliveries().map((d) => [d.body, d.status])).toEqual([
      ['{"a":1}', 200],
      ['{"a":1}', 200],
      ['{"a":1}', 200],
    ]);
  });
});

describe('webhook ban (§3.3)', () => {
  it('five non-200 answers in a row => the app is banned: nothing more is sent for 24 h, to any URL', async () => {
    let clock = Date.now();
    const f = await startFake({ now: () => clock });
    const receiver = await startReceiver(401);
    for (let i = 0; i < 4; i++) expect((await f.deliverRaw(receiver.url, '{}'))?.status).toBe(401);
    expect(f.webhookBanned()).toBe(false);
    expect((await f.deliverRaw(receiver.url, '{}'))?.status).toBe(401);
    expect(f.webhookBanned()).toBe(true);
    const healthy = await startReceiver(200);
    expect(await f.deliverRaw(healthy.url, '{}')).toBeUndefined();
    expect(healthy.received).toHaveLength(0);
    clock += 24 * 60 * 60 * 1000;
    expect(f.webhookBanned()).toBe(false);
    expect((await f.deliverRaw(healthy.url, '{}'))?.status).toBe(200);
  });

  it('a 200 resets the count; an unreachable receiver or a 202 counts as a failure; unbanWebhook() lifts a ban', async () => {
    const receiver = await startReceiver(500);
    for (let i = 0; i < 4; i++) await fake.deliverRaw(receiver.url, '{}');
    receiver.answer(200);
    await fake.deliverRaw(receiver.url, '{}');
    receiver.answer(202);
    for (let i = 0; i < 4; i++) await fake.deliverRaw(receiver.url, '{}');
    expect(fake.webhookBanned()).toBe(false);
    await receiver.stop();
    expect((await fake.deliverRaw(receiver.url, '{}'))?.status).toBe(0);
    expect(fake.webhookBanned()).toBe(true);
    fake.unbanWebhook();
    expect(fake.webhookBanned()).toBe(false);
  });
});

describe('fault hooks', () => {
  it('failNext(route, status) => that many faulted answers with the API error shape, then normal ones', async () => {
    const token = fake.issueTokens().access_token;
    fake.failNext('homesdata', { kind: 'status', status: 500 }, 2);
    expect(await api(fake, 'homesdata', token)).toEqual({ status: 500, body: { error: { code: 11, message: 'Internal error' } } });
    expect((await api(fake, 'homesdata', token)).status).toBe(500);
    expect((await api(fake, 'homesdata', token)).status).toBe(200);
    fake.failNext('token', { kind: 'status', status: 400, body: { error: 'invalid_grant' } });
    expect((await refresh(fake, 'whatever')).body).toEqual({ error: 'invalid_grant' });
    expect(fake.refreshCount()).toBe(1);
  });

  it('hang => no answer (the client times out); setLatency delays API answers', async () => {
    const token = fake.issueTokens().access_token;
    fake.failNext('homestatus', { kind: 'hang' });
    const hung = fetch(new URL(`/api/homestatus?home_id=${home().id}`, fake.url), {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(200),
    });
    await expect(hung).rejects.toThrow();
    fake.setLatency(150);
    const started = performance.now();
    expect((await api(fake, 'homesdata', token)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('calls records every request without token values', async () => {
    const tokens = await login();
    await api(fake, 'homesdata', tokens.access_token);
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /oauth2/authorize',
      'POST /oauth2/authorize',
      'POST /oauth2/token',
      'POST /api/homesdata',
    ]);
    expect(fake.calls[2]?.grantType).toBe('authorization_code');
    expect(JSON.stringify(fake.calls)).not.toContain(tokens.access_token);
  });
});

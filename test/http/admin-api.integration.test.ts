import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../src/operator';
import { installationKeys } from '../../src/platform/installation-keys';
import { userKeys } from '../../src/webservices/user-keys';
import { authorizeAndExchange, bearer, PASSWORD, startWorld, token, type World } from '../webservices/harness';
import { NEUTRAL_CONNECTOR } from '../helpers/neutral-host';

let w: World;
const LIVING = () => w.devices.get('dev-1') ?? '';
beforeAll(async () => {
  w = await startWorld({ workers: false });
});
afterAll(async () => {
  await w.close();
});

const json = async <T>(res: Response | Promise<Response>): Promise<T> => (await (await res).json()) as T;
type Page<T> = { items: T[]; next: string | null };

async function newUser(name: string): Promise<{ id: string; username: string }> {
  const res = await w.host.admin('/api/users', { method: 'POST', body: JSON.stringify({ username: name, password: PASSWORD, locations: [{ id: w.locationId, name: 'Home' }] }) });
  expect(res.status).toBe(201);
  return json(res);
}

/** Walks a listing page by page, running `between` after each page (to insert and delete meanwhile). */
async function walk<T>(path: string, limit: number, between: (page: number) => Promise<void> = async () => undefined): Promise<T[]> {
  const seen: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res = await w.host.admin(`${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const body = await json<Page<T>>(res);
    expect(body.items.length).toBeLessThanOrEqual(limit);
    seen.push(...body.items);
    cursor = body.next;
    if (cursor === null) return seen;
    await between(page);
  }
  throw new Error('the listing never ended');
}

describe('GET /api/users, GET /api/clients (cursor pages)', () => {
  it('GET ?cursor=garbage => 400; ?limit=0 => 400; ?limit=501 => 400', async () => {
    for (const q of ['cursor=garbage!', 'cursor=%20', 'limit=0', 'limit=501', 'limit=x']) {
      const res = await w.host.admin(`/api/users?${q}`);
      expect(res.status, q).toBe(400);
      expect(await json<{ error: string }>(res)).toMatchObject({ error: 'bad_request' });
    }
  });

  it('GET pages => every user once, in creation order, without password fields', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await newUser(`page-${i}-${Math.random().toString(36).slice(2, 6)}`));
    const all = await walk<Record<string, unknown>>('/api/users', 2);
    const ids = all.map((u) => u['id']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(-5)).toEqual(made.map((u) => u.id));
    expect(all.every((u) => !('password' in u) && !('passwordHash' in u))).toBe(true);
  });

  it('inserts and deletes during a walk => nothing present throughout is skipped or repeated; new ones come at the end', async () => {
    const before = await walk<{ id: string }>('/api/users', 500);
    const victim = await newUser(`victim-${Math.random().toString(36).slice(2, 6)}`);
    const added: string[] = [];
    const seen = await walk<{ id: string }>('/api/users', 2, async (page) => {
      added.push((await newUser(`during-${page}-${Math.random().toString(36).slice(2, 6)}`)).id);
      if (page === 0) expect((await w.host.admin(`/api/users/${victim.id}`, { method: 'DELETE' })).status).toBe(204);
    });
    const ids = seen.map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const u of before) expect(ids).toContain(u.id);
    expect(ids).not.toContain(victim.id);
    // Created after the cursor's position: every one is seen, in order, after the ones before.
    expect(ids.filter((id) => added.includes(id))).toEqual(added.slice(0, ids.filter((id) => added.includes(id)).length));
  });

  it('GET /api/clients => pages of clients without secrets; GET /:id; unknown => 404', async () => {
    const page = await json<Page<Record<string, unknown>>>(w.host.admin('/api/clients?limit=10'));
    expect(page.items.map((c) => c['clientId'])).toContain(w.client.clientId);
    expect(page.items.every((c) => !('clientSecret' in c) && !('secretHash' in c))).toBe(true);
    const one = await w.host.admin(`/api/clients/${w.client.clientId}`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ clientId: w.client.clientId, name: 'Automations Inc' });
    expect((await w.host.admin('/api/clients/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await w.host.admin('/api/clients/not-a-uuid')).status).toBe(404);
  });
});

describe('DELETE /api/users/:id, DELETE /api/clients/:id', () => {
  it('DELETE a user => 204, and every token it granted answers 401 / invalid_grant; again => 404', async () => {
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    const api = bearer(w, tokens.access_token);
    expect((await api('/api/smartapps/endpoints')).status).toBe(200);
    expect((await w.host.admin(`/api/users/${w.user.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/smartapps/endpoints')).status).toBe(401);
    const refreshed = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.res.status).toBe(400);
    expect(refreshed.json['error']).toBe('invalid_grant');
    expect((await w.host.admin(`/api/users/${w.user.id}`)).status).toBe(404);
    expect((await w.host.admin(`/api/users/${w.user.id}`, { method: 'DELETE' })).status).toBe(404);
    // The username is free again.
    await newUser(w.user.username);
  });

  it('DELETE a client => 204: its tokens answer 401, its secret no longer authenticates; again => 404', async () => {
    const user = await newUser(`owner-${Math.random().toString(36).slice(2, 6)}`);
    w.user = { id: user.id, username: user.username, password: PASSWORD };
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    const api = bearer(w, tokens.access_token);
    expect((await api('/api/smartapps/endpoints')).status).toBe(200);
    expect((await w.host.admin(`/api/clients/${w.client.clientId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/smartapps/endpoints')).status).toBe(401);
    const refreshed = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.res.status).toBe(401);
    expect(refreshed.json['error']).toBe('invalid_client');
    expect((await w.host.admin(`/api/clients/${w.client.clientId}`, { method: 'DELETE' })).status).toBe(404);
    const page = await json<Page<{ clientId: string }>>(w.host.admin('/api/clients?limit=500'));
    expect(page.items.map((c) => c.clientId)).not.toContain(w.client.clientId);
  });
});

describe('PATCH /api/installations/:id/devices/:deviceId {label}', () => {
  const path = () => `/api/installations/${w.installationId}/devices/${LIVING()}`;
  const patch = (body: unknown) => w.host.admin(path(), { method: 'PATCH', body: JSON.stringify(body) });

  it('a label of 101 characters, an empty or blank one, a number, no body => 400; nothing changes', async () => {
    const before = await json<{ label: string }>(w.host.admin(path()));
    for (const body of [{ label: 'x'.repeat(101) }, { label: '' }, { label: '   ' }, { label: 5 }, {}]) {
      const res = await patch(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await json(res)).toMatchObject({ error: 'bad_request' });
    }
    expect(await json(w.host.admin(path()))).toMatchObject({ label: before.label });
  });

  it('an unknown device or installation => 404', async () => {
    expect((await w.host.admin(`/api/installations/${w.installationId}/devices/nope`, { method: 'PATCH', body: JSON.stringify({ label: 'x' }) })).status).toBe(404);
    expect((await w.host.admin(`/api/installations/nope/devices/${LIVING()}`, { method: 'PATCH', body: JSON.stringify({ label: 'x' }) })).status).toBe(404);
  });

  it('a label of 100 characters => 200 device with that label, the cloud name kept; a sync keeps the label', async () => {
    const before = await json<{ name: string }>(w.host.admin(path()));
    const label = `Salon ${'é'.repeat(94)}`;
    const res = await patch({ label });
    expect(res.status).toBe(200);
    const device = await json<{ id: string; name: string; label: string }>(res);
    expect(device).toMatchObject({ id: LIVING(), name: before.name, label });
    // A resync rewrites every device from the cloud: the label stays the user's.
    const sel = await w.host.admin(`/api/installations/${w.installationId}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['dev-1', 'dev-2', 'dev-3'] }) });
    expect(sel.status).toBe(200);
    expect(await json(w.host.admin(path()))).toMatchObject({ name: before.name, label });
  });
});

describe('GET /api/installations, /devices (cursor pages)', () => {
  it('GET /api/installations?limit=1 => pages; ?locationId= filters', async () => {
    const other = await w.host.admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: 'second-home' }) });
    expect(other.status).toBe(201);
    const all = await walk<{ id: string }>('/api/installations', 1);
    expect(all.map((i) => i.id)).toEqual([w.installationId, (await json<{ id: string }>(other)).id]);
    const here = await json<Page<{ locationId: string }>>(w.host.admin('/api/installations?locationId=second-home'));
    expect(here.items.map((i) => i.locationId)).toEqual(['second-home']);
    expect(here.next).toBeNull();
  });

  it('GET devices?limit=2 => two pages, three devices, each once', async () => {
    const all = await walk<{ id: string }>(`/api/installations/${w.installationId}/devices`, 2);
    expect(all.map((d) => d.id).sort()).toEqual([...w.devices.values()].sort());
  });
});

describe('GET/DELETE /api/subscriptions', () => {
  it("lists every app's subscriptions with their app; DELETE => 204, again => 404", async () => {
    const client = await json<{ clientId: string; clientSecret: string }>(
      w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'Subs', redirectUris: [w.sys.callbackUri], scopes: ['app'] }) }),
    );
    w.client = client;
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    const api = bearer(w, tokens.access_token);
    const [endpoint] = await json<{ url: string }[]>(api('/api/smartapps/endpoints'));
    const made = await api(`${endpoint?.url}/subscriptions`, { method: 'POST', body: JSON.stringify({ targetUrl: w.sys.hookUrl, events: ['device.stateChanged'] }) });
    expect(made.status).toBe(201);
    const sub = await json<{ id: string }>(made);
    const page = await json<Page<{ id: string; appId: string; secret?: string }>>(w.host.admin('/api/subscriptions'));
    const listed = page.items.find((s) => s.id === sub.id);
    expect(listed?.appId).toBe(endpoint?.url.split('/').at(-1));
    expect(listed && 'secret' in listed).toBe(false);
    expect(await json(w.host.admin(`/api/subscriptions/${sub.id}`))).toMatchObject({ id: sub.id, failedDeliveries: 0 });
    expect((await w.host.admin(`/api/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await w.host.admin(`/api/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(`${endpoint?.url}/subscriptions/${sub.id}`)).status).toBe(404);
  });
});

describe('DELETE /api/app-installations/:id with a named API key', () => {
  it('a read key => 403 and the app keeps working; a full key => 204', async () => {
    const keys = new ApiKeyStore(w.host.services.redis, w.host.services.keys);
    const read = (await keys.create({ name: 'ro', scope: 'read' }, new Date())).key;
    const full = (await keys.create({ name: 'rw', scope: 'full' }, new Date())).key;
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    const api = bearer(w, tokens.access_token);
    const [endpoint] = await json<{ url: string }[]>(api('/api/smartapps/endpoints'));
    const appId = endpoint?.url.split('/').at(-1) ?? '';
    const revoke = (key: string) => fetch(`${w.host.url}/api/app-installations/${appId}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    const refused = await revoke(read);
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({ error: 'forbidden' });
    expect((await api('/api/smartapps/endpoints')).status).toBe(200);
    expect((await revoke(`${full}x`)).status).toBe(401);
    expect((await revoke(full)).status).toBe(204);
    expect((await api('/api/smartapps/endpoints')).status).toBe(401);
  });
});

describe('records made before the listing indexes existed', () => {
  it('installations and users missing from their index => indexed by the first listing, each once', async () => {
    const installationIndex = installationKeys(w.host.services.keys);
    const userIndex = userKeys(w.host.config.keyPrefix);
    const inst = await json<{ id: string }>(w.host.admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: 'legacy-home' }) }));
    const user = await newUser(`legacy-${Math.random().toString(36).slice(2, 6)}`);
    // As an older version left them: the records, no index entries, no backfill marker.
    for (const [index, id] of [[installationIndex.installationsIndex(), inst.id], [userIndex.usersIndex(), user.id]] as const) {
      const [member] = (await w.host.inspect.zrange(index, '0', '-1')).filter((m) => m.endsWith(`|${id}`));
      expect(await w.host.inspect.zrem(index, member ?? '')).toBe(1);
    }
    // Installations were listed in a plain set of ids then (retired since: the index answers every use).
    await w.host.inspect.sadd(installationIndex.legacyInstallationsAll(), inst.id);
    await w.host.inspect.del(userIndex.usersIndexBackfilled(), installationIndex.legacyInstallationsIndexBackfilled());
    const installations = (await walk<{ id: string }>('/api/installations', 2)).map((i) => i.id);
    expect(installations.filter((id) => id === inst.id)).toHaveLength(1);
    expect(await w.host.inspect.exists(installationIndex.legacyInstallationsAll())).toBe(0);
    const users = (await walk<{ id: string }>('/api/users', 2)).map((u) => u.id);
    expect(users.filter((id) => id === user.id)).toHaveLength(1);
    expect(new Set(users).size).toBe(users.length);
  });
});

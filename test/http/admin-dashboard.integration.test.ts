import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SESSION_COOKIE } from '../../src/operator/session';
import { ADMIN_TOKEN, operatorLogin } from '../helpers/host';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

let host: NeutralHost;
beforeAll(async () => {
  host = await startNeutralHost();
});
afterAll(async () => {
  await host.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${host.url}${path}`, { redirect: 'manual', headers });

const login = (token: string) => operatorLogin(host.url, token);

type QueuesApi = { queues: Array<{ name: string; displayName?: string; counts: Record<string, number> }> };
/** Poll and webhook jobs are in one queue per partition (`p3 poll`, shown as `poll p3`) and the single queue of earlier versions (`single poll`). */
const expectedQueues = () => {
  const partitioned = (name: string) => [...host.services.keys.partitions.all().map((k) => `p${k} ${name}`), `single ${name}`];
  return ['event-sink-delivery', 'token-revocation', ...partitioned('poll'), ...partitioned('webhook')].sort();
};

async function sessionCookie(): Promise<{ header: string; setCookie: string }> {
  const res = await login(ADMIN_TOKEN);
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/admin/installations');
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${ADMIN_SESSION_COOKIE}=`)) ?? '';
  const value = setCookie.split(';')[0] ?? '';
  return { header: value, setCookie };
}

describe('queue dashboard behind the admin token', () => {
  it('no credentials => a browser is sent to the login form, an API caller gets 401 JSON', async () => {
    const page = await get('/admin/queues', { accept: 'text/html' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/admin/login');
    const api = await get('/admin/queues/api/queues', { accept: 'application/json' });
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: 'unauthorized' });
    const post = await fetch(`${host.url}/admin/queues/api/queues/poll/clean/failed`, { method: 'PUT' });
    expect(post.status).toBe(401);
  });

  it('wrong bearer token => 401, even with a valid session cookie alongside', async () => {
    const { header } = await sessionCookie();
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await get(path, { authorization: 'Bearer not-the-admin-token-at-all', cookie: header });
      expect(res.status).toBe(401);
    }
    expect((await get('/admin/queues/api/queues', { authorization: `Basic ${ADMIN_TOKEN}` })).status).toBe(401);
  });

  it('right bearer token => the dashboard HTML, and its API lists every queue with its counts', async () => {
    await host.services.webhooks.queue.of('dashboard-test').add('webhook', {
      installationId: 'dashboard-test',
      connector: NEUTRAL_CONNECTOR,
      body: '{}',
      receivedAt: 0,
    });
    const page = await get('/admin/queues', { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const body = await page.text();
    expect(body).toContain('<base href="/admin/queues/"');
    expect(body).toContain('<div id="root">');
    const api = await get('/admin/queues/api/queues', { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as QueuesApi;
    expect(queues.map((q) => q.name).sort()).toEqual(expectedQueues());
    const k = host.services.keys.partitions.of('dashboard-test');
    const queue = queues.find((q) => q.name === `p${k} webhook`);
    expect(queue?.displayName).toBe(`webhook p${k}`);
    expect(queue?.counts['waiting']).toBe(1);
    expect(queues.find((q) => q.name === 'single webhook')?.displayName).toBe('webhook (single)');
  });

  it('login form => HttpOnly, SameSite=Strict session cookie that is not the admin token and opens the dashboard', async () => {
    const form = await get('/admin/login', { accept: 'text/html' });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="token"');

    const { header, setCookie } = await sessionCookie();
    expect(setCookie).toMatch(/;\s*httponly/i);
    expect(setCookie).toMatch(/;\s*samesite=strict/i);
    expect(setCookie).toMatch(/;\s*path=\/admin/i);
    expect(setCookie).not.toContain(ADMIN_TOKEN);
    expect(setCookie).not.toContain(Buffer.from(ADMIN_TOKEN).toString('base64'));

    expect((await get('/admin/queues', { cookie: header, accept: 'text/html' })).status).toBe(200);
    const api = await get('/admin/queues/api/queues', { cookie: header });
    expect(api.status).toBe(200);
    expect(((await api.json()) as QueuesApi).queues.map((q) => q.name).sort()).toEqual(expectedQueues());
  });

  it('wrong token at the login form => 401 page and no cookie; a forged cookie opens nothing', async () => {
    const res = await login('guess-guess-guess-guess');
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.text()).toContain('That is not the admin token.');

    const { header } = await sessionCookie();
    const tampered = header.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await get('/admin/queues/api/queues', { cookie: tampered })).status).toBe(401);
    expect((await get('/admin/queues/api/queues', { cookie: `${ADMIN_SESSION_COOKIE}=${ADMIN_TOKEN}` })).status).toBe(401);
  });

  it('logout => the cookie is cleared', async () => {
    const res = await fetch(`${host.url}/admin/logout`, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().join('\n')).toMatch(new RegExp(`${ADMIN_SESSION_COOKIE}=;.*expires=Thu, 01 Jan 1970`, 'i'));
  });
});

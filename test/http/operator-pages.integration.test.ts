import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SESSION_COOKIE } from '../../src/operator/session';
import { ADMIN_TOKEN, operatorLogin } from '../helpers/host';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { createInstallation, link, type LinkedInstallation } from '../helpers/link';

// Item 17.7: the operator's installation pages, behind the operator session.

let host: NeutralHost;
let cookie: string;
let linked: LinkedInstallation;
let pending: { id: string };

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const get = (path: string) => fetch(`${host.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', cookie } });

function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${host.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

beforeAll(async () => {
  host = await startNeutralHost();
  const res = await operatorLogin(host.url, ADMIN_TOKEN);
  expect(res.headers.get('location')).toBe('/admin/installations');
  cookie = (res.headers.getSetCookie().find((c) => c.startsWith(`${ADMIN_SESSION_COOKIE}=`)) ?? '').split(';')[0] ?? '';
  linked = await link(host, undefined, NEUTRAL_CONNECTOR);
  await post(`/connectors/${NEUTRAL_CONNECTOR}/setup`, { appId: linked.id, access_token: linked.accessToken, devices: 'dev-2' }, {});
  pending = await createInstallation(host, 'attic-<b>42</b>', NEUTRAL_CONNECTOR);
});
afterAll(async () => {
  await host.close();
});

describe('installations list', () => {
  it('without a session: a browser is sent to sign in, anything else gets 401', async () => {
    const browser = await fetch(`${host.url}/admin/installations`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/admin/login');
    expect((await fetch(`${host.url}/admin/installations`)).status).toBe(401);
  });

  it('lists every installation with connector, health, last success and last error, values escaped', async () => {
    const res = await get('/admin/installations');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<h1>Installations</h1>');
    expect(body).toContain(`href="/admin/installations/${linked.id}"`);
    expect(body).toContain(`href="/admin/installations/${pending.id}"`);
    expect(body).toContain('<span class="status ok">Linked</span>');
    expect(body).toContain('<span class="status pending">Not linked yet</span>');
    expect(body).toContain('attic-&lt;b&gt;42&lt;/b&gt;');
    expect(body).not.toContain('<b>42</b>');
    for (const column of ['Connector', 'Health', 'Last success', 'Last error']) expect(body).toContain(`<th scope="col">${column}</th>`);
    expect(body).toContain('href="/admin/queues"');
  });

  it('filters by health and connector, and searches id and location', async () => {
    const byHealth = await (await get('/admin/installations?health=linked')).text();
    expect(byHealth).toContain(linked.id);
    expect(byHealth).not.toContain(pending.id);
    const search = await (await get(`/admin/installations?q=${encodeURIComponent('ATTIC-')}`)).text();
    expect(search).toContain(pending.id);
    expect(search).not.toContain(`href="/admin/installations/${linked.id}"`);
    const byId = await (await get(`/admin/installations?q=${linked.id.slice(0, 8)}`)).text();
    expect(byId).toContain(`href="/admin/installations/${linked.id}"`);
    const none = await (await get('/admin/installations?connector=netatmo')).text();
    expect(none).toContain('No installation matches.');
  });
});

describe('one installation', () => {
  it('shows health, devices, recent events and the actions, each form with a CSRF token', async () => {
    const res = await get(`/admin/installations/${linked.id}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<h2 id="devices">Devices (1)</h2>');
    expect(body).toContain('<code>installation.linked</code>');
    expect(body).toContain('<code>device.added</code>');
    expect(body).toContain('>Poll now</button>');
    expect(body).toContain('>Uninstall</button>');
    expect(body).toContain('This connector takes no callbacks');
    expect(body.match(/name="csrf"/g)).toHaveLength(2);
  });

  it('Poll now queues a poll and comes back with a notice', async () => {
    const page = await (await get(`/admin/installations/${linked.id}`)).text();
    const res = await post(`/admin/installations/${linked.id}/poll`, { csrf: csrfOf(page) });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/installations/${linked.id}?done=polled`);
    expect(await (await get(res.headers.get('location') ?? '')).text()).toContain('A poll was queued.');
  });

  it('a form without its CSRF token, with another session\'s, or from another site => 403 page; a bearer script needs none', async () => {
    const missing = await post(`/admin/installations/${linked.id}/poll`, {});
    expect(missing.status).toBe(403);
    expect(missing.headers.get('content-type')).toMatch(/text\/html/);
    expect(await missing.text()).toContain('Back to the installations');
    const otherLogin = await operatorLogin(host.url, ADMIN_TOKEN);
    const otherCookie = (otherLogin.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const otherPage = await (await fetch(`${host.url}/admin/installations/${linked.id}`, { headers: { cookie: otherCookie } })).text();
    expect((await post(`/admin/installations/${linked.id}/poll`, { csrf: csrfOf(otherPage) })).status).toBe(403);
    const page = await (await get(`/admin/installations/${linked.id}`)).text();
    expect((await post(`/admin/installations/${linked.id}/poll`, { csrf: csrfOf(page) }, { origin: 'https://evil.example' })).status).toBe(403);
    const script = await post(`/admin/installations/${linked.id}/poll`, {}, { cookie: '', authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(script.status).toBe(303);
  });

  it('rotate on a connector without callbacks => 400 page leading back to the installation', async () => {
    const page = await (await get(`/admin/installations/${linked.id}`)).text();
    const res = await post(`/admin/installations/${linked.id}/rotate-callback`, { csrf: csrfOf(page) });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain('This connector takes no callbacks');
    expect(body).toContain(`href="/admin/installations/${linked.id}"`);
  });

  it('an unknown installation => 404 page with a way back to the list', async () => {
    const res = await get('/admin/installations/00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const body = await res.text();
    expect(body).toContain('No such installation.');
    expect(body).toContain('href="/admin/installations"');
  });

  it('uninstall needs the confirmation box; with it the installation is gone and the list says so', async () => {
    const page = await (await get(`/admin/installations/${pending.id}`)).text();
    const unconfirmed = await post(`/admin/installations/${pending.id}/uninstall`, { csrf: csrfOf(page) });
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain('Tick the box to confirm the uninstall; nothing was changed.');
    expect(await host.services.installations.get(pending.id)).toBeDefined();
    const done = await post(`/admin/installations/${pending.id}/uninstall`, { csrf: csrfOf(page), confirm: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin/installations?done=uninstalled');
    expect(await host.services.installations.get(pending.id)).toBeUndefined();
    expect(await (await get('/admin/installations?done=uninstalled')).text()).toContain('The installation was uninstalled.');
  });
});

describe('recent events of an installation quiet among busy ones', () => {
  it('the search stops at the newest 5,000 events of the partition and the page says older ones may exist', async () => {
    const { randomUUID } = await import('node:crypto');
    const { partitions } = host.services.keys;
    let busy = randomUUID();
    while (partitions.of(busy) !== partitions.of(linked.id)) busy = randomUUID();
    for (let i = 0; i < 10; i++) {
      await host.services.events.append(Array.from({ length: 500 }, (_, n) => ({ type: 'device.stateChanged' as const, installationId: busy, deviceId: 'd', data: { n: i * 500 + n } })));
    }
    const body = await (await get(`/admin/installations/${linked.id}`)).text();
    expect(body).toContain("Only the newest events of this installation's partition were searched");
    expect(body).not.toContain('<code>installation.linked</code>');
    expect(body).not.toContain('No events recorded.');
    // One event of its own among them: shown, and the note stays (fewer than 20 found).
    await host.services.events.append([{ type: 'device.renamed', installationId: linked.id, deviceId: 'dev-2', data: {} }]);
    const after = await (await get(`/admin/installations/${linked.id}`)).text();
    expect(after).toContain('<code>device.renamed</code>');
    expect(after).toContain("Only the newest events of this installation's partition were searched");
  });
});

describe('rotate callback URL on a connector that takes callbacks (Netatmo)', () => {
  it('the button registers a new callback URL with the cloud and comes back with a notice', async () => {
    const { FakeNetatmo } = await import('../../connectors/netatmo/fake/server');
    const { startHostCore } = await import('../helpers/host');
    const netatmo = await FakeNetatmo.start();
    const core = await startHostCore({ fakes: { netatmo } });
    try {
      const nHost = Object.assign(core, { fake: netatmo });
      const inst = await link(nHost, undefined, 'netatmo');
      const before = netatmo.webhookUrl();
      expect(before).toContain(`/connectors/netatmo/webhooks/${inst.id}`);
      const login = await operatorLogin(core.url, ADMIN_TOKEN);
      const session = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
      const page = await (await fetch(`${core.url}/admin/installations/${inst.id}`, { headers: { cookie: session } })).text();
      expect(page).toContain('>Rotate callback URL</button>');
      const res = await fetch(`${core.url}/admin/installations/${inst.id}/rotate-callback`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session },
        body: new URLSearchParams({ csrf: csrfOf(page) }).toString(),
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/admin/installations/${inst.id}?done=rotated`);
      expect(netatmo.webhookUrl()).toContain(`/connectors/netatmo/webhooks/${inst.id}`);
      expect(netatmo.webhookUrl()).not.toBe(before);
    } finally {
      await core.close();
      await netatmo.stop();
    }
  });
});

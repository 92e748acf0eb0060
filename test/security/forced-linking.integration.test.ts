import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { createInstallation } from '../helpers/link';

/**
 * Issue 14 item 3: a page on another site must not be able to send a signed-in victim's browser
 * through /oauth/initialize of the attacker's installation (forced linking, a login CSRF). A
 * cross-site navigation gets a confirmation page on our origin instead of a redirect to the cloud;
 * only that page's own POST (browser-bound CSRF token, same-origin checked) issues a state.
 */
let host: NeutralHost;

beforeEach(async () => {
  host = await startNeutralHost();
});
afterEach(async () => {
  await host.close();
});

const ATTACKER = 'https://attacker.example';

type Inst = { id: string; accessToken: string };

function initializeUrl(inst: Inst, token = inst.accessToken): string {
  return `${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(token)}`;
}

async function stateKeys(): Promise<string[]> {
  return host.inspect.keys(`${host.config.keyPrefix}:oauth-state:*`);
}

async function statusOf(id: string): Promise<string> {
  return ((await (await host.admin(`/api/installations/${id}`)).json()) as { status: string }).status;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: { accept: 'text/html', ...headers } });
}

/** name=value pairs of a response's Set-Cookie lines, as a Cookie header would carry them. */
function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .filter((pair) => pair.includes('='))
    .join('; ');
}

interface ConfirmForm {
  action: string;
  fields: Record<string, string>;
  cookie: string;
}

/** The form a browser would submit from the confirmation page: its action and hidden fields. */
async function confirmForm(res: Response): Promise<ConfirmForm> {
  const body = await res.text();
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(body);
  expect(form, 'the page has a POST form').not.toBeNull();
  const fields: Record<string, string> = {};
  for (const m of (form?.[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] ?? ''] = (m[2] ?? '').replaceAll('&amp;', '&');
  }
  return { action: new URL((form?.[1] ?? '').replaceAll('&amp;', '&'), host.url).toString(), fields, cookie: cookiesOf(res) };
}

/** A cross-site navigation as a browser sends it when another site links or redirects here. */
async function crossSite(inst: Inst): Promise<ConfirmForm> {
  const res = await get(initializeUrl(inst), { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' });
  expect(res.status).toBe(200);
  return confirmForm(res);
}

/** The button's POST as a browser sends it from our own page (same origin, with the cookie). */
function submit(
  form: ConfirmForm,
  overrides: { fields?: Record<string, string | undefined>; headers?: Record<string, string | undefined>; cookie?: string } = {},
): Promise<Response> {
  const fields = Object.entries({ ...form.fields, ...overrides.fields }).filter((e): e is [string, string] => e[1] !== undefined);
  const headers = Object.entries({
    accept: 'text/html',
    'content-type': 'application/x-www-form-urlencoded',
    origin: new URL(host.url).origin,
    'sec-fetch-site': 'same-origin',
    'sec-fetch-mode': 'navigate',
    cookie: overrides.cookie ?? form.cookie,
    ...overrides.headers,
  }).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return fetch(form.action, { method: 'POST', redirect: 'manual', headers: Object.fromEntries(headers), body: new URLSearchParams(fields).toString() });
}

describe('GET /connectors/:connector/oauth/initialize arriving cross-site', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['a Referer of another origin', { referer: `${ATTACKER}/trap.html` }],
    ['an Origin of another origin', { origin: ATTACKER }],
    ['Origin: null (sandboxed or data: page)', { origin: 'null' }],
    ['a Referer on another port of our host', { referer: 'http://127.0.0.1:1/x' }],
    ['Sec-Fetch-Site: none but a foreign Referer', { 'sec-fetch-site': 'none', referer: `${ATTACKER}/` }],
  ])('initialize with %s => 200 confirmation page, no Location, no state', async (_name, headers) => {
    const inst = await createInstallation(host, 'home-1', NEUTRAL_CONNECTOR);
    const res = await get(initializeUrl(inst), headers);
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toContain('no-store');
    // Not no-referrer: under it a browser sends `Origin: null` with the form's POST, which fails.
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const body = await res.text();
    expect(body).toContain('Acme'); // the connector's title
    expect(body).toContain(inst.id);
    expect(body).toContain('home-1');
    expect(body).toMatch(/<form method="post" action="[^"]*\/connectors\/acme\/oauth\/initialize">/);
    expect(body).toMatch(/<button type="submit">/);
    expect(await stateKeys()).toEqual([]);
    expect(host.fake.calls.filter((c) => c.path === '/oauth2/authorize')).toEqual([]);
  });

  it('cross-site initialize with a wrong access token => 401 page, no form, no state', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await get(initializeUrl(inst, `${inst.accessToken}x`), { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('<form');
    expect(await stateKeys()).toEqual([]);
  });

  it('cross-site initialize for an installation whose location is markup => the page escapes it', async () => {
    const inst = await createInstallation(host, `<img/src=x/onerror=alert(1)>"'&`, NEUTRAL_CONNECTOR);
    const res = await get(initializeUrl(inst), { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain('<img');
    expect(body).toContain('&lt;img/src=x/onerror=alert(1)&gt;&quot;&#39;&amp;');
  });
});

describe('POST /connectors/:connector/oauth/initialize (the confirmation button)', () => {
  it("the page's POST with its cookie => 303 to the cloud with a state that completes linking", async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const form = await crossSite(inst);
    const res = await submit(form);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${host.fake.url}/oauth2/authorize`);
    expect(location.searchParams.get('redirect_uri')).toBe(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/callback`);
    expect(await stateKeys()).toHaveLength(1);

    const callback = await host.fake.approve(location.toString(), 'accept');
    const done = await get(callback, { cookie: [form.cookie, cookiesOf(res)].filter(Boolean).join('; ') });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Your account is now connected');
    expect(await statusOf(inst.id)).toBe('linked');
    expect(await stateKeys()).toEqual([]);
  });

  it('POST without the CSRF token => 403 page, no state', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await submit(await crossSite(inst), { fields: { csrf: undefined } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('location')).toBeNull();
    expect(await stateKeys()).toEqual([]);
  });

  it('POST with a wrong CSRF token => 403 page, no state', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const form = await crossSite(inst);
    const wrong = `${(form.fields['csrf'] ?? '').slice(0, -2)}AA`;
    const res = await submit(form, { fields: { csrf: wrong === form.fields['csrf'] ? 'x' : wrong } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await stateKeys()).toEqual([]);
  });

  it('POST with the token but without the browser cookie it is bound to => 403 page, no state', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await submit(await crossSite(inst), { cookie: '' });
    expect(res.status).toBe(403);
    expect(await stateKeys()).toEqual([]);
  });

  it("POST with the attacker's own token and cookie pair from another browser => 403 page, no state", async () => {
    // The attacker can load the page themselves; the token they get is bound to their own cookie.
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const attackers = await crossSite(inst);
    const victims = await crossSite(inst);
    const res = await submit(victims, { fields: { csrf: attackers.fields['csrf'] } });
    expect(res.status).toBe(403);
    expect(await stateKeys()).toEqual([]);
  });

  it('POST with the token of another installation => 403 page, no state', async () => {
    const inst = await createInstallation(host, 'home-a', NEUTRAL_CONNECTOR);
    const other = await createInstallation(host, 'home-b', NEUTRAL_CONNECTOR);
    const form = await crossSite(inst);
    const otherForm = await get(initializeUrl(other), { 'sec-fetch-site': 'cross-site', cookie: form.cookie });
    const otherCsrf = (await confirmForm(otherForm)).fields['csrf'];
    const res = await submit(form, { fields: { csrf: otherCsrf } });
    expect(res.status).toBe(403);
    expect(await stateKeys()).toEqual([]);
  });

  it.each([
    ['a foreign Origin', { origin: ATTACKER }],
    ['Origin: null', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', origin: undefined }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site', origin: undefined }],
  ])('POST with a valid token and cookie but %s => 403 page, no state', async (_name, headers) => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await submit(await crossSite(inst), { headers });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await stateKeys()).toEqual([]);
  });

  it('POST with a valid token but a wrong access token => 401 page, no state', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await submit(await crossSite(inst), { fields: { access_token: `${inst.accessToken}x` } });
    expect(res.status).toBe(401);
    expect(await stateKeys()).toEqual([]);
  });

  it('POST without the access token => 401 page, no state', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await submit(await crossSite(inst), { fields: { access_token: undefined } });
    expect(res.status).toBe(401);
    expect(await stateKeys()).toEqual([]);
  });
});

describe('GET /connectors/:connector/oauth/initialize, direct or same-origin: as before', () => {
  it.each([
    ['Sec-Fetch-Site: none (opened by the app or typed)', { 'sec-fetch-site': 'none' }],
    ['no fetch metadata, no Origin, no Referer', {}],
    ['Sec-Fetch-Site: same-origin (the setup page link)', { 'sec-fetch-site': 'same-origin' }],
  ])('initialize with %s => 302 to the cloud and one state', async (_name, headers) => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await get(initializeUrl(inst), headers);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain(`${host.fake.url}/oauth2/authorize`);
    expect(await stateKeys()).toHaveLength(1);
  });

  it('initialize with a same-origin Referer => 302 to the cloud', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const res = await get(initializeUrl(inst), { 'sec-fetch-site': 'same-origin', referer: `${host.url}/connectors/${NEUTRAL_CONNECTOR}/setup` });
    expect(res.status).toBe(302);
    expect(await stateKeys()).toHaveLength(1);
  });
});

describe('GET /connectors/:connector/setup arriving cross-site', () => {
  // Its Connect link is a same-origin click away from linking: the person is warned as on the
  // confirmation page. Nothing else changes (no state is issued by the setup page either way).
  it('setup from another site => the page warns it was opened from another website', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const url = `${host.url}/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`;
    const res = await get(url, { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('opened from another website');
    expect(await stateKeys()).toEqual([]);
  });

  it.each([
    ['Sec-Fetch-Site: none', { 'sec-fetch-site': 'none' }],
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
  ])('setup with %s => no warning', async (_name, headers) => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const url = `${host.url}/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`;
    const res = await get(url, headers);
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('opened from another website');
  });
});

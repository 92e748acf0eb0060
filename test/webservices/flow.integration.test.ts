import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpKeys } from '../helpers/host';
import { eventually } from '../helpers/link';
import { appRecords, authorizeAndExchange, bearer, consent, csrfOf, deviceIdsOn, FormBrowser, authorizeUrl, hiddenFieldsOf, startWorld, token, type World } from './harness';

let w: World;
beforeEach(async () => {
  w = await startWorld({ clientName: 'Automations <b>Inc</b>' });
});
afterEach(async () => {
  await w.close();
});

const LIVING = () => w.devices.get('dev-1') ?? '';
const UPSTAIRS = () => w.devices.get('dev-2') ?? '';
const BASEMENT = () => w.devices.get('dev-3') ?? '';

/** Opens the authorize page, signs in as the world's user and follows to the location page; its HTML. */
async function signIn(browser: FormBrowser): Promise<string> {
  const login = await browser.get(authorizeUrl(w));
  const after = await browser.post(`${w.host.url}/oauth/authorize/login`, { ...hiddenFieldsOf(await login.text()), username: w.user.username, password: w.user.password });
  return (await browser.get(`${w.host.url}${after.headers.get('location') ?? ''}`)).text();
}

/** Picks the world's location on the location page and follows to the device page; its HTML. */
async function chooseLocation(browser: FormBrowser, locHtml: string): Promise<string> {
  const loc = await browser.post(`${w.host.url}/oauth/authorize/location`, { csrf: csrfOf(locHtml), locationId: w.locationId });
  return (await browser.get(`${w.host.url}${loc.headers.get('location') ?? ''}`)).text();
}

describe('the whole flow, as the external system', () => {
  it('authorize => code => token => endpoints => only the chosen devices, commands, refresh rotation', async () => {
    const { location } = await consent(w, { devices: [LIVING(), UPSTAIRS()] });
    expect(`${location.origin}${location.pathname}`).toBe(w.sys.callbackUri);
    expect(location.searchParams.get('state')).toBe('st-123');
    const code = location.searchParams.get('code') ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const exchanged = await token(w, { grant_type: 'authorization_code', code, redirect_uri: w.sys.callbackUri });
    expect(exchanged.res.status).toBe(200);
    expect(exchanged.res.headers.get('cache-control')).toBe('no-store');
    const tokens = exchanged.json as { access_token: string; refresh_token: string; expires_in: number; token_type: string; scope: string };
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 86400, scope: 'r:devices:* x:devices:*' });
    expect(tokens.access_token).not.toBe(tokens.refresh_token);

    const api = bearer(w, tokens.access_token);
    const endpoints = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string; url: string; base_url: string; oauthClient: { clientId: string }; location: { id: string; name: string } }[];
    expect(endpoints).toHaveLength(1);
    const [ep] = endpoints;
    expect(ep?.oauthClient).toEqual({ clientId: w.client.clientId });
    expect(ep?.location).toEqual({ id: w.locationId, name: 'Home <sweet> home' });
    expect(ep?.base_url).toBe(w.host.url);
    expect(ep?.uri).toBe(`${w.host.url}${ep?.url}`);
    expect(ep?.url).toMatch(/^\/api\/smartapps\/installations\/[0-9a-f-]{36}$/);
    const uri = ep?.uri ?? '';

    const listed = (await (await api(`${uri}/devices`)).json()) as { id: string; name: string; attributes: Record<string, unknown> }[];
    expect(listed.map((d) => d.id).sort()).toEqual([LIVING(), UPSTAIRS()].sort());
    expect(listed.find((d) => d.id === LIVING())).toMatchObject({ name: 'Living room', attributes: { temperature: 20.5 } });
    expect(listed[0]).not.toHaveProperty('externalId');

    const one = await api(`${uri}/devices/${LIVING()}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: string }).id).toBe(LIVING());

    // Exists, but was not authorized: the same answer as a device that does not exist.
    const hidden = await api(`${uri}/devices/${BASEMENT()}`);
    const missing = await api(`${uri}/devices/no-such-device`);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await hidden.json()).toEqual(await missing.json());
    const hiddenCommand = await api(`${uri}/devices/${BASEMENT()}/commands`, { method: 'POST', body: JSON.stringify({ command: 'setThermostatMode', arguments: ['off'] }) });
    expect(hiddenCommand.status).toBe(404);
    expect(w.host.fake.device('dev-3')?.mode).not.toBe('off');

    const command = await api(`${uri}/devices/${LIVING()}/commands`, { method: 'POST', body: JSON.stringify({ command: 'setThermostatMode', arguments: ['cool'] }) });
    expect(command.status).toBe(202);
    expect(w.host.fake.device('dev-1')?.mode).toBe('cool');
    const bad = await api(`${uri}/devices/${LIVING()}/commands`, { method: 'POST', body: JSON.stringify({ command: 'selfDestruct' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('unknown_command');

    // Another app installation's uri with this token => 404.
    expect((await api(`${w.host.url}/api/smartapps/installations/00000000-0000-4000-8000-000000000000/devices`)).status).toBe(404);

    const refreshed = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.res.status).toBe(200);
    const next = refreshed.json as { access_token: string; refresh_token: string; scope: string };
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(next.scope).toBe('r:devices:* x:devices:*');
    expect((await bearer(w, next.access_token)(`${uri}/devices`)).status).toBe(200);

    // The newest refresh token works once more; its predecessor presented again would revoke the
    // whole grant (test/security/oauth-bcp.integration.test.ts).
    const third = await token(w, { grant_type: 'refresh_token', refresh_token: next.refresh_token });
    expect(third.res.status).toBe(200);

    // Nothing we issued is stored in clear.
    const dump = [...(await dumpKeys(w.host)).entries()].map(([k, v]) => `${k} ${v}`).join('\n');
    for (const secret of [code, tokens.access_token, tokens.refresh_token, next.access_token, w.client.clientSecret, w.user.password]) {
      expect(dump).not.toContain(secret);
    }
  });

  it('pages => escaped, nothing preselected, usable without JavaScript, not frameable', async () => {
    const browser = new FormBrowser();
    const login = await browser.get(authorizeUrl(w));
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    expect(login.headers.get('cache-control')).toBe('no-store');
    const loginHtml = await login.text();
    expect(loginHtml).toContain('Automations &lt;b&gt;Inc&lt;/b&gt;');
    expect(loginHtml).not.toContain('<b>Inc</b>');
    expect(loginHtml).not.toContain('<script');
    expect(loginHtml).toMatch(/<form class="stack" method="post" action="\/oauth\/authorize\/login">/);
    const after = await browser.post(`${w.host.url}/oauth/authorize/login`, { ...hiddenFieldsOf(loginHtml), username: w.user.username, password: w.user.password });
    const locHtml = await (await browser.get(`${w.host.url}${after.headers.get('location') ?? ''}`)).text();
    expect(locHtml).toContain('Home &lt;sweet&gt; home');
    expect(locHtml).toContain('Cabin');
    const devHtml = await chooseLocation(browser, locHtml);
    expect(deviceIdsOn(devHtml).sort()).toEqual([LIVING(), UPSTAIRS(), BASEMENT()].sort());
    expect(devHtml).not.toContain('checked');
    expect(devHtml).toContain('value="allow"');
    expect(devHtml).toContain('value="deny"');
  });

  it('Authorize with no device ticked => the page again with a notice, no code', async () => {
    const browser = new FormBrowser();
    const devHtml = await chooseLocation(browser, await signIn(browser));
    const none = await browser.post(`${w.host.url}/oauth/authorize/consent`, { csrf: csrfOf(devHtml), decision: 'allow' });
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('Choose at least one device');
    const foreign = await browser.post(`${w.host.url}/oauth/authorize/consent`, { csrf: csrfOf(devHtml), decision: 'allow', devices: ['not-here'] });
    expect(foreign.status).toBe(400);
    expect(await appRecords(w)).toEqual([]);
  });

  it('Deny => redirect_uri?error=access_denied&state, and no app installation', async () => {
    const { location } = await consent(w, { devices: [LIVING()], decision: 'deny' });
    expect(`${location.origin}${location.pathname}`).toBe(w.sys.callbackUri);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-123');
    expect(location.searchParams.get('code')).toBeNull();
    expect(await appRecords(w)).toEqual([]);
  });

  it('consent form posted twice => one code; the second post finds no session', async () => {
    const browser = new FormBrowser();
    const devHtml = await chooseLocation(browser, await signIn(browser));
    const cookie = (await fetch(`${w.host.url}/oauth/authorize/continue`, { redirect: 'manual' })).status;
    expect(cookie).toBe(400); // no cookie => no session
    const form = { csrf: csrfOf(devHtml), decision: 'allow', devices: [LIVING()] };
    const session = browser.cookie('sm_authz') ?? '';
    const first = await browser.post(`${w.host.url}/oauth/authorize/consent`, form);
    expect(first.status).toBe(303);
    // Replayed with the very same cookie and CSRF token.
    const second = await fetch(`${w.host.url}/oauth/authorize/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `sm_authz=${session}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ csrf: form.csrf, decision: 'allow', devices: LIVING() }),
    });
    expect(second.status).toBe(400);
    expect(await appRecords(w)).toHaveLength(1);
  });
});

describe('authorize errors', () => {
  it.each([
    ['unknown client_id', { client_id: '00000000-0000-4000-8000-000000000000' }],
    ['missing client_id', { client_id: undefined }],
    ['redirect_uri not registered', { redirect_uri: 'http://127.0.0.1:1/evil' }],
    ['redirect_uri with an extra path', { redirect_uri: 'CALLBACK/extra' }],
    ['missing redirect_uri', { redirect_uri: undefined }],
  ])('%s => 400 error page, never a redirect', async (_name, params) => {
    const fixed = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v?.replace('CALLBACK', w.sys.callbackUri)]));
    const res = await new FormBrowser().get(authorizeUrl(w, fixed));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toMatch(/not registered|redirect URI/);
  });

  it.each([
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['unknown scope', { scope: 'admin:everything' }, 'invalid_scope'],
  ])('%s => redirected with error=%s and the state', async (_name, params, error) => {
    const res = await new FormBrowser().get(authorizeUrl(w, params));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(w.sys.callbackUri);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('state')).toBe('st-123');
  });

  it('scope beyond what the client registered => invalid_scope', async () => {
    const res = await w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'Reader', redirectUris: [w.sys.callbackUri], scopes: ['r:devices:*'] }) });
    const reader = (await res.json()) as { clientId: string };
    const redirect = await new FormBrowser().get(authorizeUrl(w, { client_id: reader.clientId, scope: 'x:devices:*' }));
    expect(new URL(redirect.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_scope');
  });

  it('login without the sealed request => 400; with another browser\'s, or without the nonce cookie => 403', async () => {
    const browser = new FormBrowser();
    await browser.get(authorizeUrl(w));
    const other = new FormBrowser();
    const othersRequest = hiddenFieldsOf(await (await other.get(authorizeUrl(w))).text())['request'] ?? '';
    const creds = { username: w.user.username, password: w.user.password };
    expect((await browser.post(`${w.host.url}/oauth/authorize/login`, creds)).status).toBe(400);
    expect((await browser.post(`${w.host.url}/oauth/authorize/login`, { ...creds, request: othersRequest })).status).toBe(403);
    expect((await new FormBrowser().post(`${w.host.url}/oauth/authorize/login`, { ...creds, request: othersRequest })).status).toBe(403);
  });

  it('the pre-sign-in cookie is no session, and is dropped at sign-in for a fresh session id (no session fixation)', async () => {
    const browser = new FormBrowser();
    const login = await browser.get(authorizeUrl(w));
    const pending = browser.cookie('sm_authz_pending') ?? '';
    expect(pending).not.toBe('');
    expect(browser.cookie('sm_authz')).toBeUndefined();
    const after = await browser.post(`${w.host.url}/oauth/authorize/login`, { ...hiddenFieldsOf(await login.text()), username: w.user.username, password: w.user.password });
    expect(after.status).toBe(303);
    expect(browser.cookie('sm_authz')).toBeTruthy();
    expect(browser.cookie('sm_authz_pending')).toBeUndefined();
    const res = await fetch(`${w.host.url}/oauth/authorize/continue`, { headers: { cookie: `sm_authz=${pending}`, accept: 'text/html' } });
    expect(res.status).toBe(400);
  });

  it('wrong password => 401 login page again; five failures => 429 even with the right password', async () => {
    const browser = new FormBrowser();
    let page = await (await browser.get(authorizeUrl(w))).text();
    for (let i = 0; i < 5; i++) {
      const res = await browser.post(`${w.host.url}/oauth/authorize/login`, { ...hiddenFieldsOf(page), username: w.user.username, password: 'wrong' });
      expect(res.status).toBe(401);
      page = await res.text();
      expect(page).toContain('Wrong username or password.');
    }
    const locked = await browser.post(`${w.host.url}/oauth/authorize/login`, { ...hiddenFieldsOf(page), username: w.user.username, password: w.user.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await locked.text()).toContain('Too many failed sign-in attempts');
  });

  it('unknown username => the same 401 page as a wrong password', async () => {
    const browser = new FormBrowser();
    const page = await (await browser.get(authorizeUrl(w))).text();
    const res = await browser.post(`${w.host.url}/oauth/authorize/login`, { ...hiddenFieldsOf(page), username: 'nobody<x>', password: 'whatever' });
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('Wrong username or password.');
    expect(html).toContain('value="nobody&lt;x&gt;"');
  });

  it('a location that is not the user\'s => 400', async () => {
    const browser = new FormBrowser();
    const locHtml = await signIn(browser);
    const res = await browser.post(`${w.host.url}/oauth/authorize/location`, { csrf: csrfOf(locHtml), locationId: 'someone-elses' });
    expect(res.status).toBe(400);
  });
});

describe('revocation and removal', () => {
  it('a child device removed by its connector disappears from the authorized set', async () => {
    const { tokens } = await authorizeAndExchange(w, [LIVING(), UPSTAIRS()]);
    const api = bearer(w, tokens.access_token);
    const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string }[];
    w.host.fake.remove('dev-2');
    expect((await w.host.admin(`/api/installations/${w.installationId}/poll`, { method: 'POST' })).status).toBe(202);
    await eventually(async () => ((await (await w.host.admin(`/api/installations/${w.installationId}/devices`)).json()) as { items: unknown[] }).items.length === 2, 'the removal');
    const listed = (await (await api(`${ep?.uri}/devices`)).json()) as { id: string }[];
    expect(listed.map((d) => d.id)).toEqual([LIVING()]);
    expect((await api(`${ep?.uri}/devices/${UPSTAIRS()}`)).status).toBe(404);
  });

  it('DELETE /api/app-installations/:id => user (Basic) or admin; tokens stop working; again => 404', async () => {
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    const api = bearer(w, tokens.access_token);
    const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string; url: string }[];
    const appId = ep?.url.split('/').at(-1) ?? '';
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const del = (headers: Record<string, string>) => fetch(`${w.host.url}/api/app-installations/${appId}`, { method: 'DELETE', headers });

    expect((await del({})).status).toBe(401);
    expect((await del(basic(w.user.username, 'wrong password'))).status).toBe(401);
    const stranger = await w.host.admin('/api/users', { method: 'POST', body: JSON.stringify({ username: 'stranger', password: 'stranger-pass', locations: [] }) });
    expect(stranger.status).toBe(201);
    expect((await del(basic('stranger', 'stranger-pass'))).status).toBe(404);
    expect((await del({ authorization: 'Bearer not-the-admin-token' })).status).toBe(401);

    const ok = await del(basic(w.user.username, w.user.password));
    expect(ok.status).toBe(204);
    const after = await api('/api/smartapps/endpoints');
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json['error']).toBe('invalid_grant');
    expect((await w.host.admin(`/api/app-installations/${appId}`, { method: 'DELETE' })).status).toBe(404);
  });
});

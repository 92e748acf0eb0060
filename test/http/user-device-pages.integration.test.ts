import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { link, type LinkedInstallation } from '../helpers/link';

// Item 17.7: the end user's device pages, reached with the installation's own token.

let host: NeutralHost;
let inst: LinkedInstallation;
let deviceId: string;

const q = () => new URLSearchParams({ appId: inst.id, access_token: inst.accessToken }).toString();
const page = (path: string, query = q()) => fetch(`${host.url}/connectors/${NEUTRAL_CONNECTOR}${path}?${query}`, { headers: { accept: 'text/html' } });
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

async function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${host.url}/connectors/${NEUTRAL_CONNECTOR}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

async function freshCsrf(): Promise<string> {
  return csrfOf(await (await page(`/devices/${deviceId}`)).text());
}

beforeAll(async () => {
  host = await startNeutralHost();
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
  const saved = await post('/setup', { appId: inst.id, access_token: inst.accessToken, devices: 'dev-1' });
  expect(saved.status).toBe(302);
  const devices = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ id: string }> }).items;
  deviceId = devices[0]?.id ?? '';
});
afterAll(async () => {
  await host.close();
});

describe('the synced devices and one device', () => {
  it('GET /devices lists each synced device with its reading and a link to its page', async () => {
    const res = await page('/devices');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<h1>Your Acme devices</h1>');
    expect(body).toContain('20.5 °C');
    expect(body).toContain(`/connectors/${NEUTRAL_CONNECTOR}/devices/${deviceId}?appId=${inst.id}`);
  });

  it('GET /devices/:id shows the state the connector maps, when it was updated, rename and the commands', async () => {
    const res = await page(`/devices/${deviceId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const body = await res.text();
    expect(body).toMatch(/<dt>Temperature<\/dt><dd>20\.5 °C<\/dd>/);
    expect(body).toMatch(/<dt>Humidity<\/dt><dd>\d+ %<\/dd>/);
    expect(body).toMatch(/<dt>Heating setpoint<\/dt><dd>[\d.]+ °C<\/dd>/);
    expect(body).toMatch(/<dt>Mode<\/dt><dd>\w+<\/dd>/);
    expect(body).toMatch(/Last updated <time datetime="[^"]+">\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC<\/time>/);
    expect(body).toContain('name="label"');
    for (const title of ['Set heating setpoint', 'Set thermostat mode', 'Set mode', 'Crash']) expect(body).toContain(`>${title}</button>`);
    expect(body).toMatch(/<select id="setThermostatMode-0" name="arg0" required>/);
    expect(body).toMatch(/type="number" name="arg0"[^>]* min="5" max="35"/);
    expect(body).toContain(`<a href="${host.url}/connectors/${NEUTRAL_CONNECTOR}/devices?appId=${inst.id}`);
  });

  it('rename: 303 back to the page, which shows the new label and the cloud\'s name', async () => {
    const res = await post(`/devices/${deviceId}/label`, { appId: inst.id, access_token: inst.accessToken, csrf: await freshCsrf(), label: '  Hall <b>upstairs</b> ' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('done=renamed');
    const body = await (await fetch(res.headers.get('location') ?? '')).text();
    expect(body).toContain('<h1>Hall &lt;b&gt;upstairs&lt;/b&gt;</h1>');
    expect(body).toContain('The new name was saved.');
    const stored = await host.services.devices.get(inst.id, deviceId);
    expect(stored).toMatchObject({ label: 'Hall <b>upstairs</b>', labelSet: true });
    expect(stored?.name).not.toBe(stored?.label);
  });

  it('a command runs through the connector at the cloud, then 303 back with a notice', async () => {
    const before = host.fake.calls.length;
    const res = await post(`/devices/${deviceId}/commands/setHeatingSetpoint`, {
      appId: inst.id,
      access_token: inst.accessToken,
      csrf: await freshCsrf(),
      arg0: '21.5',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('done=sent');
    expect(host.fake.calls.slice(before).filter((c) => c.method === 'POST').length).toBeGreaterThan(0);
    expect(host.fake.device('dev-1')?.setpoint).toBe(21.5);
  });
});

describe('bad paths answer a readable page, never a 500', () => {
  it('a label of 101 characters => 400, the page again with the reason, nothing stored', async () => {
    const before = await host.services.devices.get(inst.id, deviceId);
    const res = await post(`/devices/${deviceId}/label`, { appId: inst.id, access_token: inst.accessToken, csrf: await freshCsrf(), label: 'x'.repeat(101) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('A name can be at most 100 characters; this one has 101.');
    expect((await host.services.devices.get(inst.id, deviceId))?.label).toBe(before?.label);
  });

  it('an empty label => 400 with the reason; exactly 100 characters is accepted', async () => {
    const empty = await post(`/devices/${deviceId}/label`, { appId: inst.id, access_token: inst.accessToken, csrf: await freshCsrf(), label: '   ' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Enter a name for the device.');
    const full = await post(`/devices/${deviceId}/label`, { appId: inst.id, access_token: inst.accessToken, csrf: await freshCsrf(), label: 'é'.repeat(100) });
    expect(full.status).toBe(303);
  });

  it('a command value out of range => 400, the page with the command\'s own message', async () => {
    const res = await post(`/devices/${deviceId}/commands/setHeatingSetpoint`, { appId: inst.id, access_token: inst.accessToken, csrf: await freshCsrf(), arg0: '200' });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain('role="alert"');
    expect(body).toContain('Invalid arguments for setHeatingSetpoint');
  });

  it('a form without its CSRF token, or with one for another installation, or from another site => 403 page', async () => {
    const other = await link(host, undefined, NEUTRAL_CONNECTOR);
    const otherCsrf = csrfOf(
      await (await fetch(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/devices?${new URLSearchParams({ appId: other.id, access_token: other.accessToken })}`)).text(),
    );
    const base = { appId: inst.id, access_token: inst.accessToken, label: 'Forged' };
    const missing = await post(`/devices/${deviceId}/label`, base);
    expect(missing.status).toBe(403);
    expect(missing.headers.get('content-type')).toMatch(/text\/html/);
    expect(await missing.text()).toContain('This form has expired or was not sent from this page.');
    expect((await post(`/devices/${deviceId}/label`, { ...base, csrf: otherCsrf || 'x' })).status).toBe(403);
    const crossSite = await post(`/devices/${deviceId}/label`, { ...base, csrf: await freshCsrf() }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await host.services.devices.get(inst.id, deviceId))?.label).not.toBe('Forged');
  });

  it('a wrong or missing token => 401 page; an unknown device => 404 page leading back to the devices', async () => {
    const wrong = await page(`/devices/${deviceId}`, new URLSearchParams({ appId: inst.id, access_token: 'not-the-token' }).toString());
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('This link is not valid or has been revoked.');
    const none = await fetch(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/devices/${deviceId}`, { headers: { accept: 'text/html' } });
    expect(none.status).toBe(401);
    const post401 = await post(`/devices/${deviceId}/label`, { appId: inst.id, access_token: 'nope', csrf: await freshCsrf(), label: 'x' });
    expect(post401.status).toBe(401);
    const unknown = await page('/devices/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    const body = await unknown.text();
    expect(body).toContain('This device is not synced');
    expect(body).toContain('Back to your devices');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { link, type LinkedInstallation } from '../helpers/link';
import { formCsrfKey, issueFormCsrf } from '../../src/runtime/http/form-csrf';

// Item 17.7: the apps authorized into the user's location, with a Revoke button.

let host: NeutralHost;
let inst: LinkedInstallation;
let deviceId: string;

const appsUrl = (i: { id: string; accessToken: string }) =>
  `${host.url}/connectors/${NEUTRAL_CONNECTOR}/apps?${new URLSearchParams({ appId: i.id, access_token: i.accessToken })}`;
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

function post(path: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${host.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(fields).toString(),
  });
}

async function grantApp(name: string, installationId: string, locationId: string, device: string) {
  const ws = host.services.webServices;
  const { client } = await ws.clients.create(
    { name, redirectUris: ['https://app.example/cb'], scopes: ['r:devices:*'], grantTypes: ['authorization_code'], tokenEndpointAuthMethod: 'client_secret_basic' },
    new Date(),
  );
  return ws.apps.create(
    { clientId: client.clientId, userId: 'user-1', location: { id: locationId, name: 'Home' }, scopes: ['r:devices:*'], devices: [{ installationId, deviceId: device }] },
    new Date(),
  );
}

beforeAll(async () => {
  host = await startNeutralHost();
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
  await post(`/connectors/${NEUTRAL_CONNECTOR}/setup`, { appId: inst.id, access_token: inst.accessToken, devices: 'dev-1' });
  const devices = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ id: string }> }).items;
  deviceId = devices[0]?.id ?? '';
});
afterAll(async () => {
  await host.close();
});

describe('apps with access', () => {
  it('lists the app granted this installation\'s device; Revoke removes it and says so', async () => {
    const installation = await host.services.installations.get(inst.id);
    const app = await grantApp('Energy <Dashboard>', inst.id, installation?.locationId ?? '', deviceId);
    const res = await fetch(appsUrl(inst));
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<h2 id="app-');
    expect(body).toContain('Energy &lt;Dashboard&gt;');
    expect(body).toContain('see the devices you choose and their current state');
    expect(body).toContain(`/connectors/${NEUTRAL_CONNECTOR}/apps/${app.id}/revoke`);

    const revoked = await post(`/connectors/${NEUTRAL_CONNECTOR}/apps/${app.id}/revoke`, { appId: inst.id, access_token: inst.accessToken, csrf: csrfOf(body) });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toContain('done=revoked');
    expect(await host.services.webServices.apps.get(app.id)).toBeUndefined();
    const after = await (await fetch(revoked.headers.get('location') ?? '')).text();
    expect(after).toContain('The app’s access was revoked.');
    expect(after).toContain('No app has access to these devices.');
  });

  it('another installation\'s token cannot see or revoke the app: 404 page with a way back; no CSRF => 403; wrong token => 401', async () => {
    const installation = await host.services.installations.get(inst.id);
    const app = await grantApp('Other app', inst.id, installation?.locationId ?? '', deviceId);
    const other = await link(host, undefined, NEUTRAL_CONNECTOR);
    const otherPage = await (await fetch(appsUrl(other))).text();
    expect(otherPage).not.toContain('Other app');
    // A valid form of the other installation's own page (it shows no form: it has no apps).
    const otherCsrf = issueFormCsrf(formCsrfKey(host.config.secretKey, 'user-pages'), ['apps', other.id], Date.now() + 60_000);
    const foreign = await post(`/connectors/${NEUTRAL_CONNECTOR}/apps/${app.id}/revoke`, { appId: other.id, access_token: other.accessToken, csrf: otherCsrf });
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).toContain('Back to the apps with access');

    const noCsrf = await post(`/connectors/${NEUTRAL_CONNECTOR}/apps/${app.id}/revoke`, { appId: inst.id, access_token: inst.accessToken });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.headers.get('content-type')).toMatch(/text\/html/);
    const wrong = await post(`/connectors/${NEUTRAL_CONNECTOR}/apps/${app.id}/revoke`, { appId: inst.id, access_token: 'wrong', csrf: 'x' });
    expect(wrong.status).toBe(401);
    expect(await host.services.webServices.apps.get(app.id)).toBeDefined();
  });
});

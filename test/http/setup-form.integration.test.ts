import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { link, type LinkedInstallation } from '../helpers/link';

let host: NeutralHost;
let inst: LinkedInstallation;

beforeEach(async () => {
  host = await startNeutralHost();
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
});
afterEach(async () => {
  await host.close();
});

const postForm = (fields: Array<[string, string]>) =>
  fetch(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/setup`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(fields).toString(),
  });

describe('setup page device selection', () => {
  it('GET /setup when linked => a form listing every discovered device, none ticked', async () => {
    const body = await (await fetch(inst.setupUrl)).text();
    expect(body).toContain('Connected');
    for (const id of ['dev-1', 'dev-2', 'dev-3']) expect(body).toContain(`value="${id}"`);
    expect(body).not.toContain('checked');
    expect(body).toContain('>Done</button>');
  });

  it('POST /setup with two devices => 302 to the synced devices page, two child devices, ticked on the setup page', async () => {
    const res = await postForm([
      ['appId', inst.id],
      ['access_token', inst.accessToken],
      ['devices', 'dev-1'],
      ['devices', 'dev-3'],
    ]);
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/devices?`)).toBe(true);
    const devices = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ externalId: string }> }).items;
    expect(devices.map((d) => d.externalId).sort()).toEqual(['dev-1', 'dev-3']);
    const overview = await (await fetch(location)).text();
    expect(overview).toContain('Your choice was saved.');
    expect(overview.match(/<li>/g)).toHaveLength(2);
    expect(overview).toContain('20.5 °C');
    const page = await (await fetch(inst.setupUrl)).text();
    expect(page.match(/checked/g)).toHaveLength(2);
    expect(page).toContain('20.5 °C');
  });

  it('POST /setup with no device ticked => every child device removed', async () => {
    await postForm([['appId', inst.id], ['access_token', inst.accessToken], ['devices', 'dev-1']]);
    const res = await postForm([['appId', inst.id], ['access_token', inst.accessToken]]);
    expect(res.status).toBe(302);
    expect(await (await host.admin(`/api/installations/${inst.id}/devices`)).json()).toEqual({ items: [], next: null });
  });

  it('POST /setup with a wrong or missing token => 401 page, selection unchanged', async () => {
    expect((await postForm([['appId', inst.id], ['access_token', 'forged'], ['devices', 'dev-1']])).status).toBe(401);
    expect((await postForm([['appId', inst.id], ['devices', 'dev-1']])).status).toBe(401);
    expect(await (await host.admin(`/api/installations/${inst.id}/devices`)).json()).toEqual({ items: [], next: null });
  });

  it('POST /setup with an unknown device => 400 page, selection unchanged', async () => {
    const res = await postForm([['appId', inst.id], ['access_token', inst.accessToken], ['devices', '<script>']]);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('&lt;script&gt;');
    expect(text).not.toContain('<script>');
  });
});

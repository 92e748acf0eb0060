import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../helpers/host';
import { link, type LinkedInstallation } from '../helpers/link';

let host: TestHost;
let inst: LinkedInstallation;

beforeEach(async () => {
  host = await startTestHost();
  inst = await link(host);
});
afterEach(async () => {
  await host.close();
});

const postForm = (fields: Array<[string, string]>) =>
  fetch(`${host.url}/connectors/ecobee/setup`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(fields).toString(),
  });

describe('setup page device selection', () => {
  it('GET /setup when linked => a form listing every discovered device, none ticked', async () => {
    const body = await (await fetch(inst.setupUrl)).text();
    expect(body).toContain('Connected');
    for (const id of ['311000000001', '311000000002', '311000000003']) expect(body).toContain(`value="${id}"`);
    expect(body).not.toContain('checked');
    expect(body).toContain('>Done</button>');
  });

  it('POST /setup with two devices => 302 to the synced devices page, two child devices, ticked on the setup page', async () => {
    const res = await postForm([
      ['appId', inst.id],
      ['access_token', inst.accessToken],
      ['devices', '311000000001'],
      ['devices', '311000000003'],
    ]);
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${host.url}/connectors/ecobee/devices?`)).toBe(true);
    const devices = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ externalId: string }> }).items;
    expect(devices.map((d) => d.externalId).sort()).toEqual(['311000000001', '311000000003']);
    const overview = await (await fetch(location)).text();
    expect(overview).toContain('Your choice was saved.');
    expect(overview.match(/<li>/g)).toHaveLength(2);
    expect(overview).toContain('71.1 °F');
    const page = await (await fetch(inst.setupUrl)).text();
    expect(page.match(/checked/g)).toHaveLength(2);
    expect(page).toContain('71.1 °F');
  });

  it('POST /setup with no device ticked => every child device removed', async () => {
    await postForm([['appId', inst.id], ['access_token', inst.accessToken], ['devices', '311000000001']]);
    const res = await postForm([['appId', inst.id], ['access_token', inst.accessToken]]);
    expect(res.status).toBe(302);
    expect(await (await host.admin(`/api/installations/${inst.id}/devices`)).json()).toEqual({ items: [], next: null });
  });

  it('POST /setup with a wrong or missing token => 401 page, selection unchanged', async () => {
    expect((await postForm([['appId', inst.id], ['access_token', 'forged'], ['devices', '311000000001']])).status).toBe(401);
    expect((await postForm([['appId', inst.id], ['devices', '311000000001']])).status).toBe(401);
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

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHostCore, type HostCore } from '../../../test/helpers/host';
import { eventually, link, type LinkedInstallation } from '../../../test/helpers/link';
import { FakeHoneywell } from '../fake/server';

/**
 * Honeywell's quirks end to end, through the host and the authorized client against the fake:
 * each one is declared as data in the connector, none is a special case in src/.
 */

let host: HostCore & { fake: FakeHoneywell };
let inst: LinkedInstallation;

const api = (path: string, init?: RequestInit) => host.admin(`/api/installations/${inst.id}${path}`, init);
const apiCalls = () => host.fake.calls.filter((c) => c.path.startsWith('/v2/'));

beforeEach(async () => {
  const fake = await FakeHoneywell.start();
  host = { ...(await startHostCore({ fakes: { honeywell: fake } })), fake };
  inst = await link(host, undefined, 'honeywell');
});
afterEach(async () => {
  await host.close();
  await host.fake.stop();
});

describe('honeywell quirks, end to end', () => {
  it('linking: no scope parameter, appSelect=1, Basic client auth accepted, expires_in as a string stored as an expiry', async () => {
    const authorize = host.fake.calls.find((c) => c.path === '/oauth2/authorize' && c.method === 'GET');
    expect(authorize?.query).toContain('appSelect');
    expect(authorize?.query).not.toContain('scope');
    const token = host.fake.calls.find((c) => c.path === '/oauth2/token');
    expect(token).toMatchObject({ grantType: 'authorization_code', authorization: 'present', status: 200 });
    const stored = await host.services.tokens.get(inst.id);
    const lifetimeS = ((stored?.tokens.expiresAt ?? 0) - Date.now()) / 1000;
    expect(lifetimeS).toBeGreaterThan(1700);
    expect(lifetimeS).toBeLessThanOrEqual(1799);
  });

  it('apikey on every /v2 call; locationId from the stored device context on device calls, at either location', async () => {
    expect((await api('/settings', { method: 'PUT', body: JSON.stringify({ devices: ['LCC-00D02DAB5CBE', 'LCC-00D02DAB5CC0'] }) })).status).toBe(200);
    const stored = await host.services.devices.list(inst.id);
    expect(stored.map((d) => [d.externalId, d.context])).toEqual(
      expect.arrayContaining([
        ['LCC-00D02DAB5CBE', { locationId: 559589 }],
        ['LCC-00D02DAB5CC0', { locationId: 1541748 }],
      ]),
    );
    const cabin = stored.find((d) => d.externalId === 'LCC-00D02DAB5CC0');
    const res = await api(`/devices/${cabin?.id}/commands`, { method: 'POST', body: JSON.stringify({ command: 'setHeatingSetpoint', arguments: [19.5] }) });
    expect(res.status).toBe(202);
    expect(host.fake.thermostat('LCC-00D02DAB5CC0')?.changeableValues).toMatchObject({ heatSetpoint: 19.5, thermostatSetpointStatus: 'TemporaryHold' });
    expect(apiCalls().length).toBeGreaterThan(2);
    for (const call of apiCalls()) expect(call.query).toContain('apikey');
    for (const call of apiCalls().filter((c) => c.path.startsWith('/v2/devices/'))) expect(call.query).toContain('locationId');
  });

  it('a mode the thermostat does not allow => 400 with the reason, nothing sent to the cloud; a thrown bug would be 502, not 500', async () => {
    expect((await api('/settings', { method: 'PUT', body: JSON.stringify({ devices: ['TCC-2728972'] }) })).status).toBe(200);
    const [device] = ((await (await api('/devices')).json()) as { items: Array<{ id: string }> }).items;
    const posts = () => host.fake.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/v2/')).length;
    const res = await api(`/devices/${device?.id}/commands`, { method: 'POST', body: JSON.stringify({ command: 'setThermostatMode', arguments: ['Auto'] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_arguments', message: 'Mode Auto is not allowed on this thermostat. Allowed modes are Heat, Off, Cool.' });
    expect(posts()).toBe(0);
    expect(host.fake.thermostat('TCC-2728972')?.changeableValues.mode).toBe('Heat');
  });

  it('Apigee fault bodies for an expired token => one refresh, the call replayed and answered', async () => {
    host.fake.apigeeFaults = true;
    host.fake.expireAccessTokens();
    const before = host.fake.refreshCount();
    const res = await api('/discovered');
    expect(res.status).toBe(200);
    expect(host.fake.refreshCount() - before).toBe(1);
    expect(host.fake.calls.some((c) => c.path === '/v2/locations' && c.status === 401)).toBe(true);
  });

  it("429 with Retry-After => the whole application's calls are held; the cloud is not called again meanwhile", async () => {
    host.fake.rateLimitNext('locations', 120);
    expect((await api('/discovered')).status).toBe(502);
    const seen = apiCalls().length;
    const held = await api('/discovered');
    expect(held.status).toBe(502);
    expect(await held.json()).toMatchObject({ error: 'cloud_unavailable' });
    expect(apiCalls().length).toBe(seen);
  });

  it('refresh refused with 400 invalid_grant => reauth_required', async () => {
    host.fake.deauthorize();
    host.fake.expireAccessTokens();
    expect((await api('/discovered')).status).toBe(409);
    await eventually(async () => ((await (await api('')).json()) as { status: string }).status === 'reauth_required', 'reauth_required');
    expect(host.fake.calls.filter((c) => c.path === '/oauth2/token').at(-1)?.status).toBe(400);
  });
});

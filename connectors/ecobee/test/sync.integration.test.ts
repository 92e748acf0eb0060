import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../../../test/helpers/host';
import { link, type LinkedInstallation } from '../../../test/helpers/link';
import { syncNow } from '../../../test/helpers/sync';

/**
 * ecobee through the host, against its fake: what a poll asks of the cloud (§8: the summary, the
 * full fetch only when a revision moved), how runtime and settings become attributes, and its own
 * commands. The framework's sync behaviour is tested on the neutral connector
 * (test/sync/device-sync.integration.test.ts). Section numbers (§) refer to docs/clouds/ecobee-api.md.
 */

interface Device {
  id: string;
  externalId: string;
  attributes: Record<string, unknown>;
}

let host: TestHost;
let inst: LinkedInstallation;

const api = (path: string, init?: RequestInit) => host.admin(`/api/installations/${inst.id}${path}`, init);
const devices = async () => ((await (await api('/devices')).json()) as { items: Device[] }).items;
const living = async () => (await devices()).find((d) => d.externalId === '311000000001');
const send = async (command: string, args: unknown[]) =>
  api(`/devices/${(await living())?.id}/commands`, { method: 'POST', body: JSON.stringify({ command, arguments: args }) });

beforeEach(async () => {
  host = await startTestHost();
  inst = await link(host);
  expect((await api('/settings', { method: 'PUT', body: JSON.stringify({ devices: ['311000000001', '311000000002'] }) })).status).toBe(200);
});
afterEach(async () => {
  await host.close();
});

describe('ecobee sync', () => {
  it('a selected thermostat has its runtime and settings as attributes at once, in °F', async () => {
    expect((await living())?.attributes).toMatchObject({
      temperature: 71.1,
      humidity: 42,
      heatingSetpoint: 69,
      coolingSetpoint: 75,
      thermostatMode: 'auto',
      operatingState: 'idle',
      temperatureUnit: 'F',
    });
  });

  it('unchanged account => the poll reads only /1/thermostatSummary (§8: do not poll /thermostat)', async () => {
    await syncNow(host, inst.id); // settles the cursor
    const before = host.fake.calls.length;
    expect((await syncNow(host, inst.id)).kind).toBe('unchanged');
    expect(host.fake.calls.slice(before).map((c) => c.path)).toEqual(['/1/thermostatSummary']);
  });

  it('runtime change => temperature in tenths of °F and equipmentStatus as operatingState; only those in the event', async () => {
    host.fake.setRuntime('311000000001', { actualTemperature: 725, equipmentStatus: 'heatPump,fan' });
    expect((await syncNow(host, inst.id)).kind).not.toBe('unchanged');
    expect((await living())?.attributes).toMatchObject({ temperature: 72.5, operatingState: 'heating' });
    const { events } = (await (await api('/events')).json()) as { events: Array<{ type: string; data: unknown }> };
    expect(events.find((e) => e.type === 'device.stateChanged')?.data).toEqual({ changed: { temperature: 72.5, operatingState: 'heating' } });
  });

  it('setThermostatMode and resumeProgram => applied in the fake cloud', async () => {
    expect((await send('setThermostatMode', ['cool'])).status).toBe(202);
    expect(host.fake.thermostat('311000000001')?.settings.hvacMode).toBe('cool');
    expect((await send('setHeatingSetpoint', [65])).status).toBe(202);
    expect(host.fake.thermostat('311000000001')?.runtime.desiredHeat).toBe(650);
    expect((await send('resumeProgram', [])).status).toBe(202);
    expect(host.fake.thermostat('311000000001')?.runtime.desiredHeat).toBe(690);
  });

  it('a mode ecobee does not have => 400 before the cloud is called', async () => {
    const before = host.fake.calls.length;
    expect((await send('setThermostatMode', ['warp'])).status).toBe(400);
    expect(host.fake.calls.length).toBe(before);
  });
});

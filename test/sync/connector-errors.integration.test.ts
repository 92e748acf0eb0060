import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostCore } from '../helpers/host';
import { link, type LinkedInstallation } from '../helpers/link';
import { NEUTRAL_CONNECTOR, startNeutralHost } from '../helpers/neutral-host';
import type { FakeAcme } from '../fixtures/connectors/acme/fake/server';

/** What a connector throws from a command reaches the API caller typed, over HTTP (the neutral connector). */

let host: HostCore & { fake: FakeAcme };
let inst: LinkedInstallation;
let deviceId: string;

const command = (name: string, args: unknown[]) =>
  host.admin(`/api/installations/${inst.id}/devices/${deviceId}/commands`, { method: 'POST', body: JSON.stringify({ command: name, arguments: args }) });

beforeEach(async () => {
  host = await startNeutralHost();
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
  const selected = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['dev-1'] }) });
  expect(selected.status).toBe(200);
  const [device] = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ id: string }> }).items;
  deviceId = device?.id ?? '';
});
afterEach(async () => {
  await host.close();
});

describe('errors connectors raise, over HTTP', () => {
  it("CommandArgumentError => 400 invalid_arguments with the connector's message", async () => {
    const res = await command('setMode', ['turbo']);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_arguments', message: 'Mode turbo is not allowed on this device.', connector: 'acme' });
  });

  it('an untyped throw => 502 connector_error naming the connector; no stack, no raw message', async () => {
    const res = await command('crash', []);
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: string; message: string; connector: string };
    expect(body).toMatchObject({ error: 'connector_error', connector: 'acme' });
    expect(body.message).toContain('Connector "acme" failed in command crash.');
    expect(JSON.stringify(body)).not.toMatch(/secret payload|TypeError|at /);
  });

  it('a good command still works (the neutral connector is a working connector)', async () => {
    expect((await command('setHeatingSetpoint', [22])).status).toBe(202);
    expect(host.fake.device('dev-1')?.setpoint).toBe(22);
  });
});

import { inflateRawSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../helpers/host';
import { link } from '../helpers/link';
import { keyNames } from '../helpers/key-names';
import { syncInstallation } from '../../src/sync/sync-installation';
import { setDeviceLabel } from '../../src/sync';

/**
 * Issue 16.4: a device's stored value no longer repeats its externalId (the hash field) nor, while
 * the user has not set one, its label (the cloud's name). Values written before, with both, must
 * read exactly as they did. (The devices are one value since; the hash of earlier versions still reads.)
 */

let host: TestHost;
beforeEach(async () => {
  host = await startTestHost();
});
afterEach(async () => {
  await host.close();
});

async function polled(): Promise<string> {
  const inst = await link(host);
  const res = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['311000000001', '311000000002'] }) });
  expect(res.status).toBe(200);
  await syncInstallation(host.services, inst.id);
  return inst.id;
}

/** The stored objects by externalId, decoded by hand from the one value (device-value.integration.test.ts). */
const stored = async (id: string): Promise<Record<string, Record<string, unknown>>> => {
  const raw = await host.inspect.getBuffer(keyNames(host.services.keys).devices(id));
  if (!raw) return {};
  return JSON.parse((raw[0] === 1 ? inflateRawSync(raw.subarray(1)) : raw.subarray(1)).toString('utf8')) as Record<string, Record<string, unknown>>;
};

it('a synced device is stored without externalId, label or labelSet, and reads with all three', async () => {
  const id = await polled();
  const raw = await stored(id);
  expect(Object.keys(raw).sort()).toEqual(['311000000001', '311000000002']);
  for (const value of Object.values(raw)) {
    expect(value).not.toHaveProperty('externalId');
    expect(value).not.toHaveProperty('label');
    expect(value).not.toHaveProperty('labelSet');
  }
  const devices = await host.services.devices.list(id);
  expect(devices.map((d) => ({ externalId: d.externalId, label: d.label, labelSet: d.labelSet }))).toEqual(
    devices.map((d) => ({ externalId: d.externalId, label: d.name, labelSet: false })),
  );
  expect(new Set(devices.map((d) => d.externalId))).toEqual(new Set(['311000000001', '311000000002']));
});

it("the user's label is stored and kept; a later poll keeps it", async () => {
  const id = await polled();
  const device = (await host.services.devices.list(id)).find((d) => d.externalId === '311000000001');
  if (!device) throw new Error('no device');
  await setDeviceLabel(host.services, id, device.id, 'Hall');
  expect((await stored(id))['311000000001']).toMatchObject({ label: 'Hall', labelSet: true });
  host.fake.renameThermostat('311000000001', 'Den');
  await syncInstallation(host.services, id, { full: true });
  const after = (await host.services.devices.list(id)).find((d) => d.externalId === '311000000001');
  expect(after).toMatchObject({ name: 'Den', label: 'Hall', labelSet: true });
});

it('values in the earlier full form (in the hash of earlier versions) read exactly as written', async () => {
  const id = randomUUID();
  const key = keyNames(host.services.keys).legacyDevices(id);
  const earlier = {
    id: 'dev-earlier-1',
    externalId: '311000000009',
    name: 'Attic',
    label: 'Attic (old label)',
    labelSet: false,
    type: 'thermostat',
    attributes: { temperature: 70 },
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
  const labelled = { ...earlier, id: 'dev-earlier-2', externalId: '311000000010', label: 'Loft', labelSet: true };
  await host.inspect.hset(key, earlier.externalId, JSON.stringify(earlier), labelled.externalId, JSON.stringify(labelled));
  const devices = await host.services.devices.byExternalId(id);
  expect(devices.get('311000000009')).toEqual(earlier);
  expect(devices.get('311000000010')).toEqual(labelled);
});

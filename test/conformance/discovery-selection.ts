import { expect, it } from 'vitest';
import type { Rule } from './kit';
import { api } from './helpers';

/** Discovery lists the cloud's devices; selecting two creates exactly two child devices with state. */
const discoverySelection: Rule = ({ host, link, kit }) => {
  it('discover, select two => exactly two child devices with attributes; unknown id => 400', async () => {
    const inst = await link();
    const a = api(host(), inst);
    const discovered = (await (await a.call('/discovered')).json()) as Array<{ externalId: string }>;
    for (const id of kit.devices) expect(discovered.map((d) => d.externalId)).toContain(id);
    const bad = await a.call('/settings', { method: 'PUT', body: JSON.stringify({ devices: ['does-not-exist'] }) });
    expect(bad.status).toBe(400);
    await a.select(kit.devices.slice(0, 2));
    const devices = await a.devices();
    expect(devices.map((d) => d.externalId).sort()).toEqual([...kit.devices.slice(0, 2)].sort());
    for (const d of devices) expect(Object.keys(d.attributes).length).toBeGreaterThan(2);
  });
};
export default discoverySelection;

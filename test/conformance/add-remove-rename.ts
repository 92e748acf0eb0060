import { expect, it } from 'vitest';
import { syncInstallation } from '../../src/sync/sync-installation';
import type { Rule } from './kit';
import { api } from './helpers';

/** Cloud renames and removals reach the child devices through polling; a failed listing removes nothing. */
const addRemoveRename: Rule = ({ host, link, kit }) => {
  it('rename in the cloud => same id, new name; removal => device removed; failed listing => nothing removed', async () => {
    const inst = await link();
    const a = api(host(), inst);
    await a.select(kit.devices.slice(0, 2));
    const [first, second] = kit.devices as [string, string];
    const before = (await a.devices()).find((d) => d.externalId === first);
    kit.rename(host().fake, first, 'Renamed by conformance');
    const renamed = await a.pollUntil(async () => (await a.devices()).find((d) => d.name === 'Renamed by conformance'), 'rename');
    expect(renamed.id).toBe(before?.id);

    kit.remove(host().fake, second);
    host().fake.failNextListing();
    await expect(syncInstallation(host().services, inst.id)).rejects.toMatchObject({ code: 'cloud_unavailable' });
    expect(await a.devices()).toHaveLength(2);
    await a.pollUntil(async () => (await a.devices()).length === 1, 'removal after a failed listing');
    const types = (await a.events()).map((e) => e.type);
    expect(types).toContain('device.renamed');
    expect(types).toContain('device.removed');
  });
};
export default addRemoveRename;

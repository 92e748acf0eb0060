import { expect, it } from 'vitest';
import { dumpKeys } from '../helpers/host';
import type { Rule } from './kit';
import { api } from './helpers';
import { keyNames } from '../helpers/key-names';

/** Uninstall removes devices (with events), schedules, tokens and every key naming the installation. */
const uninstallCleanup: Rule = ({ host, link, kit }) => {
  it('uninstall => nothing left that names the installation; second DELETE 404', async () => {
    const inst = await link();
    const a = api(host(), inst);
    await a.select(kit.devices.slice(0, 2));
    expect((await a.call('', { method: 'DELETE' })).status).toBe(204);
    expect(await host().services.scheduler.isScheduled(inst.id)).toBe(false);
    const naming = [...(await dumpKeys(host()))]
      .filter(([key, value]) => !/:\{[^}]+:p\d+\}:events$/.test(key) && `${key} ${value}`.includes(inst.id))
      .map(([key]) => key);
    expect(naming).toEqual([]);
    expect((await a.call('', { method: 'DELETE' })).status).toBe(404);
  });
};
export default uninstallCleanup;

import { expect, it } from 'vitest';
import type { Rule } from './kit';

/** A refused refresh → reauth_required, polling paused, event; re-linking restores it with devices kept. */
const reauth: Rule = ({ host, link, kit }) => {
  it('refresh refused => reauth_required and paused; re-link => linked, devices kept', async () => {
    const inst = await link();
    const api = (p: string, init?: RequestInit) => host().admin(`/api/installations/${inst.id}${p}`, init);
    expect((await api('/settings', { method: 'PUT', body: JSON.stringify({ devices: [kit.devices[0]] }) })).status).toBe(200);
    host().fake.deauthorize();
    host().fake.expireAccessTokens();
    expect((await api('/discovered')).status).toBe(409);
    const got = (await (await api('')).json()) as { status: string };
    expect(got.status).toBe('reauth_required');
    expect(await host().services.scheduler.isScheduled(inst.id)).toBe(false);
    const events = (await (await api('/events')).json()) as { events: Array<{ type: string }> };
    expect(events.events.map((e) => e.type)).toContain('installation.reauthRequired');
    await link(inst);
    expect(((await (await api('')).json()) as { status: string }).status).toBe('linked');
    const devices = ((await (await api('/devices')).json()) as { items: Array<{ externalId: string }> }).items;
    expect(devices.map((d) => d.externalId)).toEqual([kit.devices[0]]);
  });
};
export default reauth;

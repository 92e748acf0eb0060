import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import { syncInstallation } from '../../src/sync/sync-installation';
import { FaultProxy } from '../helpers/fault-proxy';
import { startHostCore, type HostCore } from '../helpers/host';
import { link } from '../helpers/link';
import { keyNames } from '../helpers/key-names';
import { NEUTRAL_CONNECTOR, neutralConnectors } from '../helpers/neutral-host';

/**
 * Health through real polls of the fake cloud behind a proxy that answers 500: N failed polls make
 * the installation degraded (one event), a success recovers it (one event); the admin API shows it.
 */
let fake: FakeAcme;
let proxy: FaultProxy;
let host: HostCore;
/** The host's clock runs ahead of real time by this much (the fake cloud keeps real time). */
let ahead = 0;

beforeEach(async () => {
  ahead = 0;
  fake = await FakeAcme.start();
  proxy = await FaultProxy.start(fake.url);
  host = await startHostCore({
    fakes: { [NEUTRAL_CONNECTOR]: { url: proxy.url, clientId: fake.clientId, clientSecret: fake.clientSecret } },
    connectors: await neutralConnectors(),
    env: { HEALTH_DEGRADED_AFTER: '2', HTTP_TIMEOUT_MS: '1000', HEALTH_SUCCESS_RESOLUTION_S: '300' },
    now: () => Date.now() + ahead,
  });
});
afterEach(async () => {
  await host.close();
  await proxy.stop();
  await fake.stop();
});

interface HealthBody {
  status: string;
  health: { state: string; reason?: string; lastSuccessAt: string | null; lastError?: { code: string; message: string; at: string }; nextPollAt: string | null } | null;
}
const healthOf = async (id: string) => (await (await host.admin(`/api/installations/${id}`)).json()) as HealthBody;
const typesOf = async (id: string) =>
  ((await (await host.admin(`/api/installations/${id}/events`)).json()) as { events: { type: string }[] }).events.map((e) => e.type);

describe('installation health', () => {
  it('pending has no health; linked shows lastSuccessAt after a poll and the schedule as nextPollAt', async () => {
    const res = await host.admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: 'home-p' }) });
    const pending = (await res.json()) as { id: string };
    expect((await healthOf(pending.id)).health).toBeNull();

    const inst = await link({ ...host, fake }, undefined, NEUTRAL_CONNECTOR);
    await syncInstallation(host.services, inst.id);
    const { health } = await healthOf(inst.id);
    expect(health?.state).toBe('linked');
    expect(health?.lastSuccessAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(health?.lastError).toBeUndefined();
    expect(Date.parse(health?.nextPollAt ?? '')).toBeGreaterThan(0);
  });

  it('an unchanged poll within HEALTH_SUCCESS_RESOLUTION_S writes no health field; past it, lastSuccessAt moves', async () => {
    const inst = await link({ ...host, fake }, undefined, NEUTRAL_CONNECTOR);
    await syncInstallation(host.services, inst.id);
    const syncKey = keyNames(host.services.keys).syncState(inst.id);
    const first = await host.inspect.hgetall(syncKey);
    expect(first['lastSuccessAt']).toBeDefined();
    ahead = 299_000;
    expect(await syncInstallation(host.services, inst.id)).toEqual({ kind: 'unchanged' });
    expect(await host.inspect.hgetall(syncKey)).toEqual(first);
    ahead = 301_000;
    expect(await syncInstallation(host.services, inst.id)).toEqual({ kind: 'unchanged' });
    const later = await host.inspect.hgetall(syncKey);
    expect(Date.parse(later['lastSuccessAt'] ?? '') - Date.parse(first['lastSuccessAt'] ?? '')).toBeGreaterThanOrEqual(300_000);
    expect({ ...later, lastSuccessAt: '' }).toEqual({ ...first, lastSuccessAt: '' });
  });

  it('500s => failures count, degraded once after N, lastError without secrets; success => recovered once', async () => {
    const inst = await link({ ...host, fake }, undefined, NEUTRAL_CONNECTOR);
    await syncInstallation(host.services, inst.id);
    const before = (await healthOf(inst.id)).health?.lastSuccessAt;
    proxy.failWhen(() => true, { kind: 'status', status: 500 });

    await expect(syncInstallation(host.services, inst.id)).rejects.toThrow();
    let view = await healthOf(inst.id);
    expect(view.health?.state).toBe('linked');
    expect(view.health?.lastError?.code).toBe('cloud_unavailable');

    for (let i = 0; i < 3; i++) await expect(syncInstallation(host.services, inst.id)).rejects.toThrow();
    view = await healthOf(inst.id);
    expect(view.status).toBe('linked');
    expect(view.health).toMatchObject({ state: 'degraded', lastSuccessAt: before });
    expect(view.health?.lastError?.message).toMatch(/500/);
    const stored = await host.services.tokens.get(inst.id);
    expect(JSON.stringify(view)).not.toContain(stored?.tokens.accessToken ?? 'never');
    expect((await typesOf(inst.id)).filter((t) => t === 'installation.degraded')).toHaveLength(1);

    proxy.clear();
    await syncInstallation(host.services, inst.id);
    await syncInstallation(host.services, inst.id);
    view = await healthOf(inst.id);
    expect(view.health?.state).toBe('linked');
    expect(Date.parse(view.health?.lastSuccessAt ?? '')).toBeGreaterThan(Date.parse(before ?? ''));
    const types = await typesOf(inst.id);
    expect(types.filter((t) => t === 'installation.recovered')).toHaveLength(1);
    expect(types.indexOf('installation.recovered')).toBeGreaterThan(types.indexOf('installation.degraded'));

    const metrics = await host.services.metrics.registry.metrics();
    expect(metrics).toMatch(/sm_installation_health_transitions_total\{connector="acme",state="degraded"\} 1/);
  });

  it('reauth_required shows its reason and no next poll; a re-link starts clean', async () => {
    const inst = await link({ ...host, fake }, undefined, NEUTRAL_CONNECTOR);
    proxy.failWhen(() => true, { kind: 'status', status: 500 });
    for (let i = 0; i < 2; i++) await expect(syncInstallation(host.services, inst.id)).rejects.toThrow();
    expect((await healthOf(inst.id)).health?.state).toBe('degraded');
    proxy.clear();
    const { markReauthRequired } = await import('../../src/platform');
    await markReauthRequired(host.services, inst.id, 'refresh_refused', undefined);
    const view = await healthOf(inst.id);
    expect(view.health).toMatchObject({ state: 'reauth_required', reason: 'refresh_refused', nextPollAt: null });

    await link({ ...host, fake }, inst, NEUTRAL_CONNECTOR);
    expect((await healthOf(inst.id)).health?.state).toBe('linked');
  });
});

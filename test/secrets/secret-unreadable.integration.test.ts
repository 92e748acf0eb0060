import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHostCore, startTestHost, type HostCore, type TestHost } from '../helpers/host';
import { eventually, link, type LinkedInstallation } from '../helpers/link';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';

const hex = () => randomBytes(32).toString('hex');

let before: TestHost;
let after: HostCore | undefined;
let workers: RunningWorkers | undefined;
let inst: LinkedInstallation;

beforeEach(async () => {
  before = await startTestHost({ env: { SECRET_KEYS: `k1:${hex()}` } });
  inst = await link(before);
});
afterEach(async () => {
  await workers?.close();
  await after?.close();
  await before.close();
  workers = undefined;
  after = undefined;
});

async function counter(host: HostCore, name: string): Promise<Record<string, number>> {
  const metric = await host.services.metrics.registry.getSingleMetric(name)?.get();
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[Object.values(v.labels).join('|')] = v.value;
  return out;
}

describe('a stored secret no configured key opens', () => {
  it('k1 removed from SECRET_KEYS, poll => reauth_required (secret_unreadable) once, counted, not retried', async () => {
    // The same deployment (Redis prefix) restarted with a key list that lost k1: an unknown key id.
    after = await startHostCore({
      fakes: { ecobee: before.fake },
      env: { KEY_PREFIX: before.config.keyPrefix, SECRET_KEYS: `k2:${hex()}` },
    });
    const host = after;
    workers = startWorkers(host.services, { concurrency: 2 });
    expect((await host.admin(`/api/installations/${inst.id}/poll`, { method: 'POST' })).status).toBe(202);
    await eventually(async () => (await host.services.installations.get(inst.id))?.status === 'reauth_required', 'reauth_required');
    await eventually(async () => (await counter(host, 'sm_polls_total'))['failed_reauth_required'] === 1, 'the failed poll counted');

    // A second path to the tokens (a command, a webhook) meets the same ciphertext: no second transition.
    const enabled = host.services.connectors.get('ecobee');
    if (!enabled) throw new Error('ecobee not enabled');
    await expect(host.services.clients.for(inst.id, enabled).request({ path: '/1/thermostat' })).rejects.toMatchObject({ code: 'secret_unreadable' });

    const events = await host.services.events.readInstallation(inst.id, undefined, 100);
    const transitions = events.filter((e) => e.type === 'installation.reauthRequired');
    expect(transitions).toHaveLength(1);
    expect(transitions[0]?.data).toEqual({ reason: 'secret_unreadable' });
    expect(await counter(host, 'sm_secrets_unreadable_total')).toEqual({ ecobee: 1 });
    const polls = await counter(host, 'sm_polls_total');
    expect(polls['failed_retry']).toBeUndefined();
    expect(polls['failed_reauth_required']).toBe(1);
    // No schedule left to poll it again; the tokens stay, so restoring k1 and re-linking both work.
    expect(await host.services.scheduler.isScheduled(inst.id)).toBe(false);
    expect(await host.inspect.get(host.services.keys.installationTokens(inst.id))).toMatch(/^v2\.k1\./);
  });
});

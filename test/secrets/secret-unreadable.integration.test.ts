import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { NEUTRAL_CONNECTOR, neutralConnectors, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { eventually, link, type LinkedInstallation } from '../helpers/link';
import { connectorEnv } from '../helpers/child-env';
import { servicesFromEnv, type BuiltServices } from '../helpers/services-from-env';
import { createLogger } from '../../src/runtime/logging/logger';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import type { Services } from '../../src/runtime/services';

const hex = () => randomBytes(32).toString('hex');
const k1 = hex();
const k2 = hex();

let before: NeutralHost;
let after: BuiltServices | undefined;
let workers: RunningWorkers | undefined;
let inst: LinkedInstallation;
const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

beforeEach(async () => {
  logLines.length = 0;
  before = await startNeutralHost({ env: { SECRET_KEYS: `k1:${k1}` } });
  inst = await link(before, undefined, NEUTRAL_CONNECTOR);
});
afterEach(async () => {
  await workers?.close();
  await after?.close();
  await before.close();
  workers = undefined;
  after = undefined;
});

async function counter(services: Services, name: string): Promise<Record<string, number>> {
  const metric = await services.metrics.registry.getSingleMetric(name)?.get();
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[Object.values(v.labels).join('|')] = v.value;
  return out;
}

describe('a stored secret no configured key opens', () => {
  it('k1 removed from SECRET_KEYS, poll => reauth_required (secret_unreadable) once, counted, logged once, not retried', async () => {
    const stored = await before.services.tokens.get(inst.id);
    if (!stored?.tokens.refreshToken) throw new Error('no tokens stored');
    // The same deployment (Redis prefix) restarted with a key list that lost k1: an unknown key id.
    after = await servicesFromEnv(
      {
        REDIS_URL: inject('redisUrl'),
        KEY_PREFIX: before.config.keyPrefix,
        ADMIN_TOKEN: 'unreadable-test-admin-token',
        SECRET_KEYS: `k2:${k2}`,
        HTTP_TIMEOUT_MS: '2000',
        ...(await connectorEnv({ [NEUTRAL_CONNECTOR]: before.fake })),
      },
      { log: createLogger('debug', sink), connectors: await neutralConnectors() },
    );
    const services = after.services;
    workers = startWorkers(services, { concurrency: 2 });
    await services.scheduler.pollNow(inst.id, 'manual');
    await eventually(async () => (await services.installations.get(inst.id))?.status === 'reauth_required', 'reauth_required');
    await eventually(async () => (await counter(services, 'sm_polls_total'))['failed_reauth_required'] === 1, 'the failed poll counted');

    // A second path to the tokens (a command, a webhook) meets the same ciphertext: no second transition.
    const enabled = services.connectors.get(NEUTRAL_CONNECTOR);
    if (!enabled) throw new Error(`${NEUTRAL_CONNECTOR} not enabled`);
    await expect(services.clients.for(inst.id, enabled).request({ path: '/v1/devices' })).rejects.toMatchObject({ code: 'secret_unreadable' });

    const { events } = await services.events.readInstallation(inst.id, undefined, 100);
    const transitions = events.filter((e) => e.type === 'installation.reauthRequired');
    expect(transitions).toHaveLength(1);
    expect(transitions[0]?.data).toEqual({ reason: 'secret_unreadable', connector: NEUTRAL_CONNECTOR });
    expect(await counter(services, 'sm_secrets_unreadable_total')).toEqual({ [NEUTRAL_CONNECTOR]: 1 });
    const polls = await counter(services, 'sm_polls_total');
    expect(polls['failed_retry']).toBeUndefined();
    expect(polls['failed_reauth_required']).toBe(1);
    // No schedule left to poll it again; the tokens stay, so restoring k1 and re-linking both work.
    expect(await services.scheduler.isScheduled(inst.id)).toBe(false);
    expect(await services.tokens.getSealed(inst.id)).toMatch(/^v3\.k1\./);

    const transitionsLogged = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'installation needs re-authorization');
    expect(transitionsLogged).toHaveLength(1);
    expect(transitionsLogged[0]).toMatchObject({ installationId: inst.id, connector: NEUTRAL_CONNECTOR, reason: 'secret_unreadable' });
    const all = logLines.join('\n');
    for (const secret of [stored.tokens.accessToken, stored.tokens.refreshToken, stored.sealed, k1, k2]) expect(all).not.toContain(secret);
  });
});

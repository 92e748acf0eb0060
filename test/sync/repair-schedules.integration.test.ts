import { afterEach, beforeEach, expect, it } from 'vitest';
import { pollIntervalMs } from '../../src/runtime';
import { repairPollSchedules } from '../../src/sync';
import { connectorEnv } from '../helpers/child-env';
import { ADMIN_TOKEN } from '../helpers/host';
import { NEUTRAL_CONNECTOR, neutralConnectors, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { createInstallation, link, type LinkedInstallation } from '../helpers/link';
import { servicesFromEnv } from '../helpers/services-from-env';

/**
 * The start-up repair of workers and the demo, on a Redis that outlived the process: every linked
 * installation has exactly one poll schedule afterwards, schedules of gone or unlinked
 * installations are removed, and a restart on the same data changes nothing.
 */

let host: NeutralHost;
let linked: LinkedInstallation[];
let every: number;

beforeEach(async () => {
  host = await startNeutralHost();
  linked = [await link(host, undefined, NEUTRAL_CONNECTOR), await link(host, undefined, NEUTRAL_CONNECTOR), await link(host, undefined, NEUTRAL_CONNECTOR)];
  const connector = host.services.connectors.get(NEUTRAL_CONNECTOR);
  if (!connector) throw new Error(`${NEUTRAL_CONNECTOR} is not enabled`);
  every = pollIntervalMs(host.services, connector);
});
afterEach(async () => {
  await host.close();
});

async function scheduleIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of host.services.scheduler.schedules()) ids.push(s.installationId ?? `(no installation) ${s.id}`);
  return ids.sort();
}

it('a populated Redis: the missing schedule is added, a changed one reset, orphans removed; a second run changes nothing', async () => {
  const [a, b, c] = linked as [LinkedInstallation, LinkedInstallation, LinkedInstallation];
  const { scheduler } = host.services;
  // The damage a crash, an old snapshot or an earlier build leaves behind:
  await scheduler.unschedule(a.id); // linked, but never polled again
  await scheduler.schedule(b.id, every * 3); // an interval from another configuration
  await scheduler.schedule('gone-installation', every); // its installation was deleted without uninstall
  const pending = await createInstallation(host, undefined, NEUTRAL_CONNECTOR); // not linked: must not be polled
  await scheduler.schedule(pending.id, every);
  expect(await scheduleIds()).toHaveLength(4);

  const first = await repairPollSchedules(host.services);
  expect(first).toEqual({ linked: 3, added: 1, updated: 1, removed: 2 });
  expect(await scheduleIds()).toEqual([a.id, b.id, c.id].sort());
  for (const inst of linked) expect(await scheduler.scheduledEvery(inst.id)).toBe(every);

  expect(await repairPollSchedules(host.services)).toEqual({ linked: 3, added: 0, updated: 0, removed: 0 });
  expect(await scheduleIds()).toEqual([a.id, b.id, c.id].sort());
});

it('a schedule with no installation in its template (not written by this code) is removed too', async () => {
  await host.services.scheduler.queue.upsertJobScheduler('poll-stray', { every: 60_000 }, { name: 'poll' });
  const result = await repairPollSchedules(host.services);
  expect(result.removed).toBe(1);
  expect(await scheduleIds()).toEqual(linked.map((l) => l.id).sort());
});

it('a restart against the same Redis (new process, same prefix and key) loses nothing', async () => {
  const restarted = await servicesFromEnv({
    REDIS_URL: host.config.redisUrl ?? '',
    KEY_PREFIX: host.config.keyPrefix,
    SECRET_KEY: host.config.secretKey.toString('hex'),
    ADMIN_TOKEN,
    PUBLIC_URL: host.url,
    LOG_LEVEL: 'silent',
    ...(await connectorEnv({ [NEUTRAL_CONNECTOR]: host.fake })),
  }, { connectors: await neutralConnectors() });
  try {
    expect(await repairPollSchedules(restarted.services)).toEqual({ linked: 3, added: 0, updated: 0, removed: 0 });
    const installations = await restarted.services.installations.list();
    expect(installations.filter((i) => i.status === 'linked').map((i) => i.id).sort()).toEqual(linked.map((l) => l.id).sort());
    expect(await scheduleIds()).toEqual(linked.map((l) => l.id).sort());
  } finally {
    await restarted.close();
  }
});

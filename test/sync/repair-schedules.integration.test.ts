import { afterEach, beforeEach, expect, it } from 'vitest';
import { pollIntervalMs } from '../../src/runtime';
import { repairPollSchedules } from '../../src/sync';
import { POLL_JOB_OPTIONS, pollSchedulerId, SCHEDULED_POLL_OPTIONS } from '../../src/sync/poll-queue';
import { connectorEnv } from '../helpers/child-env';
import { ADMIN_TOKEN } from '../helpers/host';
import { NEUTRAL_CONNECTOR, neutralConnectors, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { createInstallation, link, type LinkedInstallation } from '../helpers/link';
import { servicesFromEnv } from '../helpers/services-from-env';

/**
 * The start-up repair of workers and the demo, on a Redis that outlived the process: every linked
 * installation has exactly one poll schedule entry afterwards, due within its interval; entries of
 * gone or unlinked installations are removed; BullMQ job schedulers written before issue 16.4 are
 * migrated; and a restart on the same data changes nothing.
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
  for await (const s of host.services.scheduler.schedules()) ids.push(s.installationId);
  return [...new Set(ids)].sort();
}

const nothing = { linked: 3, added: 0, updated: 0, removed: 0, migrated: 0 };

it('a populated Redis: the missing schedule is added, a changed one reset, orphans removed; a second run changes nothing', async () => {
  const [a, b, c] = linked as [LinkedInstallation, LinkedInstallation, LinkedInstallation];
  const { scheduler } = host.services;
  // The damage a crash, an old snapshot or an earlier build leaves behind:
  await scheduler.unschedule(a.id); // linked, but never polled again
  // Due far later than the interval allows (written under a longer POLL_INTERVAL_S).
  await scheduler.scheduleAt(b.id, NEUTRAL_CONNECTOR, Date.now() + 50 * every + 3_600_000);
  await scheduler.schedule('gone-installation', every, NEUTRAL_CONNECTOR); // its installation was deleted without uninstall
  const pending = await createInstallation(host, undefined, NEUTRAL_CONNECTOR); // not linked: must not be polled
  await scheduler.schedule(pending.id, every, NEUTRAL_CONNECTOR);
  expect(await scheduleIds()).toHaveLength(4);

  const first = await repairPollSchedules(host.services);
  expect(first).toEqual({ linked: 3, added: 1, updated: 1, removed: 2, migrated: 0 });
  expect(await scheduleIds()).toEqual([a.id, b.id, c.id].sort());
  for (const inst of linked) {
    const schedule = await scheduler.scheduleOf(inst.id);
    expect(schedule).toMatchObject({ every, connector: NEUTRAL_CONNECTOR });
    // Due within one interval, at the installation's own slot.
    expect(schedule?.due).toBeLessThanOrEqual(Date.now() + every);
    expect((await scheduler.nextPollAt(inst.id))?.getTime()).toBe(schedule?.due);
  }

  expect(await repairPollSchedules(host.services)).toEqual(nothing);
  expect(await scheduleIds()).toEqual([a.id, b.id, c.id].sort());
});

it('BullMQ job schedulers of the earlier form are migrated: an entry due at their next run, the scheduler and its next job gone; twice is once', async () => {
  const [a, b] = linked as [LinkedInstallation, LinkedInstallation, LinkedInstallation];
  const { scheduler } = host.services;
  await scheduler.unschedule(a.id);
  await scheduler.unschedule(b.id);
  // As versions before issue 16.4 wrote them: compact with the connector, and the earliest full form without it.
  await scheduler.queue.legacy.upsertJobScheduler(pollSchedulerId(a.id), { every }, { name: 'poll', data: { i: a.id, c: NEUTRAL_CONNECTOR }, opts: SCHEDULED_POLL_OPTIONS });
  await scheduler.queue.legacy.upsertJobScheduler(pollSchedulerId(b.id), { every }, { name: 'poll', data: { installationId: b.id, reason: 'scheduled' }, opts: POLL_JOB_OPTIONS });
  await scheduler.queue.legacy.upsertJobScheduler('poll-stray', { every: 60_000 }, { name: 'poll' }); // not written by this code
  const next = new Map<string, number | undefined>();
  const nextJobs: string[] = [];
  for (const sid of [pollSchedulerId(a.id), pollSchedulerId(b.id), 'poll-stray']) {
    const at = (await scheduler.queue.legacy.getJobScheduler(sid))?.next;
    nextJobs.push(`repeat:${sid}:${at}`);
  }
  for (const id of [a.id, b.id]) next.set(id, (await scheduler.queue.legacy.getJobScheduler(pollSchedulerId(id)))?.next);
  // Each scheduler's next job (delayed, or waiting: BullMQ runs an `every` schedule's first at once).
  const pending = async () => (await Promise.all(nextJobs.map((id) => scheduler.queue.legacy.getJob(id)))).filter((j) => j !== undefined).length;
  expect(await pending()).toBe(3);

  const result = await repairPollSchedules(host.services);
  expect(result).toEqual({ linked: 3, added: 0, updated: 0, removed: 0, migrated: 3 });
  for (const id of [a.id, b.id]) {
    expect(await scheduler.scheduleOf(id)).toMatchObject({ connector: NEUTRAL_CONNECTOR, due: next.get(id) });
  }
  expect(await scheduler.queue.legacy.getJobSchedulersCount()).toBe(0);
  expect(await pending()).toBe(0);
  expect(await scheduleIds()).toEqual(linked.map((l) => l.id).sort());
  expect(await repairPollSchedules(host.services)).toEqual(nothing);
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
    expect(await repairPollSchedules(restarted.services)).toEqual(nothing);
    const installations = await restarted.services.installations.list();
    expect(installations.filter((i) => i.status === 'linked').map((i) => i.id).sort()).toEqual(linked.map((l) => l.id).sort());
    expect(await scheduleIds()).toEqual(linked.map((l) => l.id).sort());
  } finally {
    await restarted.close();
  }
});

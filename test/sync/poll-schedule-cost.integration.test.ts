import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { pollIntervalMs } from '../../src/runtime';
import { repairPollSchedules } from '../../src/sync';
import { POLL_JOB_OPTIONS, pollSchedulerId } from '../../src/sync/poll-queue';
import { keyNames } from '../helpers/key-names';

/**
 * Issue 16.4: a schedule is one sorted-set entry (~100 bytes) instead of a BullMQ job scheduler
 * with its next delayed job (~1.7 KB), and the workers' dispatcher queues its polls. What must
 * not change: scheduled polls run with their retries and leave no finished record, and schedules
 * written in an earlier form keep polling until the repair migrates them.
 */

let host: TestHost;
let workers: RunningWorkers | undefined;
beforeEach(async () => {
  host = await startTestHost();
});
afterEach(async () => {
  await workers?.close();
  workers = undefined;
  await host.close();
});

const summaryCalls = () => host.fake.calls.filter((c) => c.path === '/1/thermostatSummary').length;
const scheduleKey = (id: string) => keyNames(host.services.keys).pollScheduleOf(id, 'ecobee');

describe('a poll schedule', () => {
  it('linking writes one entry naming its connector; each time it is due the dispatcher polls it, and the polls leave no completed or failed job, no BullMQ scheduler', async () => {
    const inst = await link(host);
    expect(await host.services.scheduler.scheduleOf(inst.id)).toMatchObject({ connector: 'ecobee' });
    expect(await host.inspect.zscore(scheduleKey(inst.id), inst.id)).not.toBeNull();

    const before = summaryCalls();
    // The dispatcher follows the configured interval (the 180 s of ecobee): made due again by hand.
    workers = startWorkers(host.services, { concurrency: 2, dispatcher: { maxSleepMs: 50 } });
    const drained = () => eventually(async () => (await host.services.scheduler.queue.getJobCountByTypes('waiting', 'active')) === 0, 'the queue to drain');
    for (let n = 1; n <= 3; n++) {
      // One scheduled poll of an installation at a time: the next is queued once this one is done.
      await drained();
      await host.services.scheduler.scheduleAt(inst.id, 'ecobee', Date.now() - 1);
      await eventually(async () => summaryCalls() - before >= n, `scheduled poll ${n}`);
    }
    await drained();
    const counts = await host.services.scheduler.queue.getJobCounts('completed', 'failed');
    expect(counts).toEqual({ completed: 0, failed: 0 });
    expect(await host.services.scheduler.queue.legacy.getJobSchedulersCount()).toBe(0);
    expect(await host.services.scheduler.isScheduled(inst.id)).toBe(true);
  });

  it('a BullMQ job scheduler of the earlier full form (as deployed Redis holds it) still polls; the repair turns it into an entry with its connector', async () => {
    const inst = await link(host);
    const { scheduler } = host.services;
    await scheduler.unschedule(inst.id);
    await scheduler.queue.legacy.upsertJobScheduler(
      pollSchedulerId(inst.id),
      { every: 250 },
      { name: 'poll', data: { installationId: inst.id, reason: 'scheduled' }, opts: POLL_JOB_OPTIONS },
    );
    const before = summaryCalls();
    workers = startWorkers(host.services, { concurrency: 2 });
    await eventually(async () => summaryCalls() - before >= 2, 'two polls of the old schedule');
    expect(await scheduler.queue.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 0 });

    await workers.close();
    workers = undefined;
    const result = await repairPollSchedules(host.services);
    expect(result).toMatchObject({ linked: 1, migrated: 1, added: 0, removed: 0 });
    const connector = host.services.connectors.get('ecobee');
    if (!connector) throw new Error('ecobee is not enabled');
    expect(await scheduler.scheduleOf(inst.id)).toMatchObject({ every: pollIntervalMs(host.services, connector), connector: 'ecobee' });
    expect(await scheduler.queue.legacy.getJobSchedulersCount()).toBe(0);
    expect((await repairPollSchedules(host.services)).migrated).toBe(0);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { pollIntervalMs } from '../../src/runtime';
import { repairPollSchedules } from '../../src/sync';
import { POLL_JOB_OPTIONS, pollSchedulerId } from '../../src/sync/poll-queue';

/**
 * Issue 16.4: a schedule costs ~300 bytes of Redis instead of ~700, because its hash stays in the
 * compact listpack encoding (every value under 64 bytes: short data keys, no removeOn* options,
 * which the poll worker applies instead). What must not change: scheduled polls run with their
 * retries, leave no finished record, and schedules written in the earlier full form keep working.
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
const schedulerKey = (id: string) => `${host.services.keys.bullPrefix}:poll:repeat:${pollSchedulerId(id)}`;

describe('a poll schedule', () => {
  it('linking schedules with the connector named, in a listpack hash; its polls run and leave no completed or failed job', async () => {
    const inst = await link(host);
    expect(await host.services.scheduler.scheduleOf(inst.id)).toMatchObject({ connector: 'ecobee' });
    expect(await host.inspect.object('ENCODING', schedulerKey(inst.id))).toBe('listpack');

    await host.services.scheduler.schedule(inst.id, 250, 'ecobee');
    const before = summaryCalls();
    workers = startWorkers(host.services, { concurrency: 2 });
    await eventually(async () => summaryCalls() - before >= 3, 'three scheduled polls');
    const counts = await host.services.scheduler.queue.getJobCounts('completed', 'failed');
    expect(counts).toEqual({ completed: 0, failed: 0 });
    expect(await host.inspect.object('ENCODING', schedulerKey(inst.id))).toBe('listpack');
  });

  it('a schedule in the earlier full form (as deployed Redis holds it) still polls; the repair rewrites it compact with its connector', async () => {
    const inst = await link(host);
    const { scheduler } = host.services;
    await scheduler.queue.upsertJobScheduler(
      pollSchedulerId(inst.id),
      { every: 250 },
      { name: 'poll', data: { installationId: inst.id, reason: 'scheduled' }, opts: POLL_JOB_OPTIONS },
    );
    expect(await scheduler.scheduleOf(inst.id)).toEqual({ every: 250, connector: undefined });
    const before = summaryCalls();
    workers = startWorkers(host.services, { concurrency: 2 });
    await eventually(async () => summaryCalls() - before >= 2, 'two polls of the old schedule');
    expect(await scheduler.queue.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 0 });

    await workers.close();
    workers = undefined;
    const result = await repairPollSchedules(host.services);
    expect(result).toMatchObject({ linked: 1, updated: 1, added: 0, removed: 0 });
    const connector = host.services.connectors.get('ecobee');
    if (!connector) throw new Error('ecobee is not enabled');
    expect(await scheduler.scheduleOf(inst.id)).toEqual({ every: pollIntervalMs(host.services, connector), connector: 'ecobee' });
    expect(await host.inspect.object('ENCODING', schedulerKey(inst.id))).toBe('listpack');
    expect((await repairPollSchedules(host.services)).updated).toBe(0);
  });
});

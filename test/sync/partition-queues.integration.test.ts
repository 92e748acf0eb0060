import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PollDispatcher } from '../../src/sync';
import { POLL_JOB_OPTIONS, scheduledJobId } from '../../src/sync/poll-queue';
import { refreshQueueDepth } from '../../src/runtime/metrics/queue-depth';
import { partitionConcurrency } from '../../src/runtime/queues/partition-workers';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { eventually, link, type LinkedInstallation } from '../helpers/link';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

/**
 * Poll and webhook jobs in one BullMQ queue per partition (issue 16.2): an installation's jobs land
 * in its partition's queue, under that partition's hash tag; the single queue of earlier versions
 * is still worked and still purged; observers sum the partitions.
 */

let host: NeutralHost;
let workers: RunningWorkers | undefined;
beforeEach(async () => {
  host = await startNeutralHost();
});
afterEach(async () => {
  await workers?.close();
  workers = undefined;
  await host.close();
});

/** `n` installation ids of `n` different partitions. */
function idsInDistinctPartitions(n: number, tag = 'inst'): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < n; i++) {
    const id = `${tag}-${i}`;
    const k = host.services.keys.partitions.of(id);
    if (!byPartition.has(k)) byPartition.set(k, id);
  }
  return [...byPartition.values()];
}

const tagOf = (id: string) => host.services.keys.partitions.tag(host.services.keys.partitions.of(id));
const pollQueueKey = (id: string, suffix: string) => `${host.services.keys.prefix}:${tagOf(id)}:bull:poll:${suffix}`;

const pollsDone = async () =>
  (await host.services.metrics.polls.get()).values.filter((v) => !String(v.labels['outcome']).startsWith('failed')).reduce((n, v) => n + v.value, 0);

describe('one poll and one webhook queue per partition', () => {
  it('immediate polls, scheduled polls and webhook batches of installations in different partitions => each in its partition\'s queue (by key name), none in the single queue', async () => {
    const [a, b] = idsInDistinctPartitions(2);
    if (!a || !b) throw new Error('no ids');
    expect(tagOf(a)).not.toBe(tagOf(b));
    const { scheduler, webhooks } = host.services;

    await scheduler.pollNow(a, 'manual', 60_000);
    await scheduler.pollNow(b, 'manual', 60_000);
    const now = Date.now();
    for (const id of [a, b]) await scheduler.scheduleAt(id, NEUTRAL_CONNECTOR, now - 1);
    expect((await new PollDispatcher(host.services, scheduler.store, scheduler.queue, scheduler.intervals).tick(now)).dispatched).toBe(2);
    await webhooks.enqueue([{ installationId: a, connector: NEUTRAL_CONNECTOR, body: '{}', receivedAt: now }]);
    await webhooks.enqueue([{ installationId: b, connector: NEUTRAL_CONNECTOR, body: '{}', receivedAt: now }]);

    for (const id of [a, b]) {
      // The scheduled poll waits, the immediate one is delayed: both under the partition's tag.
      expect(await host.inspect.lrange(pollQueueKey(id, 'wait'), 0, -1)).toEqual([scheduledJobId(id)]);
      expect(await host.inspect.zcard(pollQueueKey(id, 'delayed'))).toBe(1);
      expect(await host.inspect.exists(pollQueueKey(id, scheduledJobId(id)))).toBe(1);
      const webhookWait = `${host.services.keys.prefix}:${tagOf(id)}:bull:webhook:wait`;
      const [jobId] = await host.inspect.lrange(webhookWait, 0, -1);
      expect(JSON.parse((await host.inspect.hget(`${host.services.keys.prefix}:${tagOf(id)}:bull:webhook:${jobId}`, 'data')) ?? '{}')).toMatchObject({ callbacks: [{ installationId: id }] });
    }
    // Nothing in the single queues of earlier versions.
    const bull = host.services.keys.bullPrefix;
    for (const key of [`${bull}:poll:wait`, `${bull}:poll:delayed`, `${bull}:webhook:wait`]) expect(await host.inspect.exists(key)).toBe(0);
    // Observers see the sum: the depth gauge keeps one series per queue name.
    await refreshQueueDepth(host.services);
    const depth = (await host.services.metrics.queueDepth.get()).values;
    const gauge = (queue: string, state: string) => depth.find((v) => v.labels['queue'] === queue && v.labels['state'] === state)?.value;
    expect(gauge('poll', 'waiting')).toBe(2);
    expect(gauge('poll', 'delayed')).toBe(2);
    expect(gauge('webhook', 'waiting')).toBe(2);
    expect(depth.some((v) => String(v.labels['queue']).includes(' '))).toBe(false);
  });

  it('jobs queued in the single queue before the upgrade (a poll waiting, a webhook batch) => processed by the workers after it', async () => {
    const inst: LinkedInstallation = await link(host, undefined, NEUTRAL_CONNECTOR);
    workers = startWorkers(host.services, { concurrency: 4 });
    const idle = async () => (await host.services.scheduler.queue.getJobCountByTypes('waiting', 'active', 'delayed')) === 0;
    await eventually(idle, 'linking work to settle');
    const before = await pollsDone();
    await host.services.scheduler.queue.legacy.add('poll', { installationId: inst.id, reason: 'manual' }, POLL_JOB_OPTIONS);
    await eventually(async () => (await pollsDone()) === before + 1 && (await idle()), 'the legacy poll to be processed');
    expect(await host.services.scheduler.queue.legacy.getJobCounts('waiting', 'failed')).toEqual({ waiting: 0, failed: 0 });

    const webhookCallbacks = async () => (await host.services.metrics.webhookCallbacks.get()).values.reduce((n, v) => n + v.value, 0);
    const callbacksBefore = await webhookCallbacks();
    await host.services.webhooks.queue.legacy.add('webhook', { callbacks: [{ installationId: inst.id, connector: NEUTRAL_CONNECTOR, body: '{}', receivedAt: Date.now() }] });
    await eventually(async () => (await webhookCallbacks()) > callbacksBefore, 'the legacy webhook batch to be processed');
    await eventually(async () => (await host.services.webhooks.queue.legacy.getJobCountByTypes('waiting', 'active')) === 0, 'the legacy webhook queue to drain');
  });

  it('purge => the installation\'s jobs leave its partition\'s queue and the single queue (by id); another installation\'s stay', async () => {
    const [target, other] = idsInDistinctPartitions(2, 'purge');
    if (!target || !other) throw new Error('no ids');
    const { scheduler } = host.services;
    for (const id of [target, other]) {
      await scheduler.pollNow(id, 'webhook', 60_000);
      await scheduler.queue.of(id).add('poll', { i: id, c: NEUTRAL_CONNECTOR }, { jobId: scheduledJobId(id), delay: 60_000 });
    }
    // A scheduled poll a version before 16.2 queued in the single queue.
    await scheduler.queue.legacy.add('poll', { i: target, c: NEUTRAL_CONNECTOR }, { jobId: scheduledJobId(target), delay: 60_000 });
    const jobsOf = async (id: string) => (await scheduler.queue.getJobs(['delayed', 'waiting'], 0, -1)).filter((j) => JSON.stringify(j.data).includes(id));
    expect(await jobsOf(target)).toHaveLength(3);

    await scheduler.purge(target);
    expect(await jobsOf(target)).toEqual([]);
    expect(await host.inspect.exists(pollQueueKey(target, scheduledJobId(target)))).toBe(0);
    expect(await host.inspect.exists(`${host.services.keys.bullPrefix}:poll:${scheduledJobId(target)}`)).toBe(0);
    expect(await jobsOf(other)).toHaveLength(2);
  });

  it('concurrency per partition worker => max(1, ceil(c/K)): a process runs about c jobs of a queue name, as with one queue', () => {
    expect(partitionConcurrency(16, 16)).toBe(1);
    expect(partitionConcurrency(16, 4)).toBe(4);
    expect(partitionConcurrency(17, 4)).toBe(5);
    expect(partitionConcurrency(4, 16)).toBe(1);
    expect(partitionConcurrency(64, 1)).toBe(64);
  });
});

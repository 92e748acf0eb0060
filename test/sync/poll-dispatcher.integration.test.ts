import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { PollDispatcher } from '../../src/sync';
import { scheduledJobId } from '../../src/sync/poll-queue';
import { PollScheduleStore } from '../../src/sync/poll-schedule-store';
import { leaseUntil } from '../../src/sync/poll-schedule-math';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

/**
 * The poll schedule dispatcher against a real Redis: due entries become exactly one poll job each,
 * however many dispatchers race; an entry claimed by a process that died comes back after its
 * lease; removed entries stay removed; Redis errors are counted, never thrown. Rounds are driven
 * with explicit times (tick(now)), so nothing here waits on the clock. No worker runs: the jobs
 * stay in the queue to be counted.
 */

let host: NeutralHost;
const LEASE = 30_000;
beforeEach(async () => {
  host = await startNeutralHost();
});
afterEach(async () => {
  await host.close();
});

const ids = (n: number, tag = 'inst') => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

function dispatcher(store = host.services.scheduler.store, options: { batch?: number } = {}): PollDispatcher {
  const { scheduler } = host.services;
  return new PollDispatcher(host.services, store, scheduler.queue, scheduler.intervals, { leaseMs: LEASE, ...options });
}

async function scheduleDue(installations: readonly string[], due: number): Promise<void> {
  await Promise.all(installations.map((id) => host.services.scheduler.scheduleAt(id, NEUTRAL_CONNECTOR, due)));
}

async function queuedPolls(): Promise<Array<{ id: string | undefined; data: unknown }>> {
  return (await host.services.scheduler.queue.getJobs(['waiting', 'delayed', 'prioritized'], 0, -1)).map((j) => ({ id: j.id, data: j.data }));
}

describe('PollDispatcher', () => {
  it('tick(now) => each due entry queued once as {i, c} under its installation\'s job id, then due at its next slot; entries not due stay', async () => {
    const now = Date.now();
    const due = ids(40);
    const later = ids(5, 'later');
    await scheduleDue(due, now - 1);
    await scheduleDue(later, now + 3_600_000);
    const round = await dispatcher().tick(now);
    expect(round).toMatchObject({ dispatched: 40, failed: 0 });
    const jobs = await queuedPolls();
    expect(jobs.map((j) => j.id).sort()).toEqual(due.map(scheduledJobId).sort());
    for (const job of jobs) expect(job.data).toEqual({ i: expect.any(String), c: NEUTRAL_CONNECTOR });
    const every = host.services.scheduler.intervals.get(NEUTRAL_CONNECTOR) ?? 0;
    for (const id of due) {
      const next = (await host.services.scheduler.nextPollAt(id))?.getTime() ?? 0;
      expect(next).toBeGreaterThan(now);
      expect(next).toBeLessThanOrEqual(now + every);
    }
    for (const id of later) expect((await host.services.scheduler.nextPollAt(id))?.getTime()).toBe(now + 3_600_000);
    expect(round.earliest).toBeLessThanOrEqual(now + every);
    // Counted in the process's metrics.
    expect(await metricValue('sm_polls_dispatched_total')).toBe(40);
  });

  it('two dispatchers on their own connections racing over 300 due entries => 300 jobs, each dispatched once', async () => {
    const now = Date.now();
    const due = ids(300);
    await scheduleDue(due, now - 1);
    const other = new Redis(host.config.redisUrl ?? '', { maxRetriesPerRequest: 1 });
    try {
      const a = dispatcher(host.services.scheduler.store, { batch: 7 });
      const b = dispatcher(new PollScheduleStore(other, host.services.keys), { batch: 7 });
      let total = 0;
      // Rounds side by side until neither finds anything due.
      for (;;) {
        const [ra, rb] = await Promise.all([a.tick(now), b.tick(now)]);
        expect(ra.failed + rb.failed).toBe(0);
        total += ra.dispatched + rb.dispatched;
        if (ra.dispatched + rb.dispatched === 0) break;
      }
      expect(total).toBe(300);
      const jobs = await queuedPolls();
      expect(jobs).toHaveLength(300);
      expect(new Set(jobs.map((j) => j.id)).size).toBe(300);
    } finally {
      other.disconnect();
    }
  });

  it('a dispatcher that died after its claim => nothing due until the lease ends, then another dispatches every entry', async () => {
    const now = Date.now();
    const due = ids(25);
    await scheduleDue(due, now - 1);
    const { store } = host.services.scheduler;
    // The claim of a process that then died: the entries hold its lease, no job was queued.
    const [claim] = await Promise.all([store.claim(store.partitions, [NEUTRAL_CONNECTOR], now, leaseUntil(now, LEASE), 1_000)]);
    expect(claim?.reduce((n, c) => n + (c instanceof Error ? 0 : c.claimed.length), 0)).toBe(25);
    expect(await queuedPolls()).toHaveLength(0);

    const survivor = dispatcher();
    expect((await survivor.tick(now + LEASE - 1)).dispatched).toBe(0);
    expect((await survivor.tick(now + LEASE)).dispatched).toBe(25);
    expect((await queuedPolls()).map((j) => j.id).sort()).toEqual(due.map(scheduledJobId).sort());
  });

  it('a re-dispatch while the poll is still queued (a crash after queueing, before rescheduling) => no second job', async () => {
    const now = Date.now();
    await scheduleDue(['inst-a'], now - 1);
    expect((await dispatcher().tick(now)).dispatched).toBe(1);
    await scheduleDue(['inst-a'], now - 1); // as if the reschedule never happened
    expect((await dispatcher().tick(now + 1)).dispatched).toBe(1);
    expect(await queuedPolls()).toHaveLength(1);
  });

  it('an entry removed while claimed (uninstall during a round) => not written back by the reschedule', async () => {
    const now = Date.now();
    await scheduleDue(['inst-a', 'inst-b'], now - 1);
    const { store } = host.services.scheduler;
    const lease = leaseUntil(now, LEASE);
    const claims = await store.claim(store.partitions, [NEUTRAL_CONNECTOR], now, lease, 1_000);
    await host.services.scheduler.unschedule('inst-a');
    const claimed = claims.map((claim, i) => {
      if (claim instanceof Error) throw claim;
      return { k: store.partitions[i] ?? 0, entries: claim.claimed.map((e) => ({ ...e, next: now + 60_000 })) };
    });
    const written = await store.reschedule(claimed, [NEUTRAL_CONNECTOR], lease);
    expect(written.reduce<number>((n, w) => n + (w instanceof Error ? 0 : w), 0)).toBe(1);
    expect(await host.services.scheduler.isScheduled('inst-a')).toBe(false);
    expect((await host.services.scheduler.nextPollAt('inst-b'))?.getTime()).toBe(now + 60_000);
  });

  it('Redis refusing commands => the round reports its failures, throws nothing, and leaves the entries due', async () => {
    const now = Date.now();
    await scheduleDue(['inst-a'], now - 1);
    const dead = new Redis(host.config.redisUrl ?? '', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    dead.on('error', () => undefined);
    const round = await dispatcher(new PollScheduleStore(dead, host.services.keys)).tick(now);
    expect(round.dispatched).toBe(0);
    expect(round.failed).toBe(host.services.keys.partitions.count);
    expect((await host.services.scheduler.nextPollAt('inst-a'))?.getTime()).toBe(now - 1);
    dead.disconnect();
  });

  it('start() then close() => the loop stops; a closed dispatcher does not start again', async () => {
    const d = dispatcher();
    d.start();
    await d.close();
    d.start();
    await d.close();
  });
});

async function metricValue(name: string): Promise<number> {
  const metric = (await host.services.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).reduce((n, v) => n + Number(v.value), 0);
}

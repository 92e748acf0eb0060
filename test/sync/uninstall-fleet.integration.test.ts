import { Redis } from 'ioredis';
import { pollJobInstallation, scheduledJobId } from '../../src/sync/poll-queue';
import { PollDispatcher } from '../../src/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { link, type LinkedInstallation } from '../helpers/link';

/**
 * Uninstall must cost the same with ten installations or a million: it removes one installation's
 * poll schedule entry and jobs by their ids. Before, it read every job of the poll queue to find them
 * (the delayed set held one job per scheduled installation), so each uninstall grew with the fleet.
 */

const OTHERS = 2_000;
const HOUR = 3_600_000;

let host: NeutralHost;
let inst: LinkedInstallation;

beforeEach(async () => {
  host = await startNeutralHost();
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
});
afterEach(async () => {
  await host.close();
});

/**
 * Every job the poll queues hold (one per partition and the legacy single one; no worker runs
 * here, so nothing moves on its own), by job key: job ids repeat across queues, their keys do not.
 */
async function pollQueueIds() {
  const inspect = host.inspect;
  const ids = { delayed: new Set<string>(), waiting: new Set<string>(), prioritized: new Set<string>() };
  for (const queue of host.services.scheduler.queue.all()) {
    for (const id of await inspect.zrange(queue.toKey('delayed'), '0', '-1')) ids.delayed.add(queue.toKey(id));
    for (const id of await inspect.lrange(queue.toKey('wait'), '0', '-1')) ids.waiting.add(queue.toKey(id));
    for (const id of await inspect.zrange(queue.toKey('prioritized'), '0', '-1')) ids.prioritized.add(queue.toKey(id));
  }
  return ids;
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x));

/** Records every command the Redis server runs while `run` runs (MONITOR on its own connection). */
async function monitored(run: () => Promise<void>): Promise<string[][]> {
  const conn = new Redis(host.config.redisUrl ?? '', { maxRetriesPerRequest: 1 });
  const monitor = await conn.monitor();
  const seen: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
  try {
    await run();
    await host.inspect.ping(); // a marker: once it is seen, everything before it was too
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    monitor.disconnect();
    conn.disconnect();
  }
  return seen;
}

describe('uninstall in a large fleet', () => {
  it(`${OTHERS} other installations scheduled => uninstall removes exactly the target's schedule and jobs, reads no other job or entry`, async () => {
    const { scheduler } = host.services;
    const now = Date.now();
    // The target is due: one dispatcher round queues its scheduled poll (the others are an hour out).
    await scheduler.scheduleAt(inst.id, NEUTRAL_CONNECTOR, now - 1);
    const others = Array.from({ length: OTHERS }, (_, i) => `other-installation-${i}`);
    for (let i = 0; i < others.length; i += 200) {
      await Promise.all(others.slice(i, i + 200).map((id) => scheduler.scheduleAt(id, NEUTRAL_CONNECTOR, now + HOUR)));
    }
    const dispatcher = new PollDispatcher(host.services, scheduler.store, scheduler.queue, scheduler.intervals);
    expect((await dispatcher.tick(now)).dispatched).toBe(1);
    await scheduler.pollNow(inst.id, 'manual', HOUR);
    // Some of the others also have an immediate poll pending, like the target.
    await Promise.all(others.slice(0, 200).map((id) => scheduler.pollNow(id, 'webhook', HOUR)));

    const before = await pollQueueIds();
    const targetJobs = (await scheduler.queue.getJobs(['delayed', 'waiting', 'prioritized'], 0, -1))
      .filter((j) => pollJobInstallation(j.data) === inst.id)
      .map((j) => `${j.queueQualifiedName}:${j.id ?? ''}`);
    // Both in the target's partition's queue.
    const targetQueue = scheduler.queue.of(inst.id);
    expect(targetJobs).toContain(targetQueue.toKey(scheduledJobId(inst.id)));
    expect(targetJobs.every((key) => key.startsWith(targetQueue.toKey('')))).toBe(true);
    expect(targetQueue.toKey('')).toBe(`${host.services.keys.partitionBullPrefix(host.services.keys.partitions.of(inst.id))}:poll:`);
    expect(targetJobs).toHaveLength(2); // its scheduled poll and its immediate one
    const otherJobIds = new Set([...before.delayed, ...before.waiting, ...before.prioritized].filter((id) => !targetJobs.includes(id)));
    expect(otherJobIds.size).toBe(200);
    const entries = async () => {
      const ids = new Set<string>();
      for await (const s of scheduler.schedules()) ids.add(s.installationId);
      return ids;
    };
    expect((await entries()).size).toBe(OTHERS + 1);

    const commands = await monitored(async () => {
      const res = await host.admin(`/api/installations/${inst.id}`, { method: 'DELETE' });
      expect(res.status).toBe(204);
    });

    const after = await pollQueueIds();
    // Exactly the target's jobs and entry went; every other job and entry is still there.
    expect(minus(before.delayed, after.delayed).concat(minus(before.waiting, after.waiting)).sort()).toEqual([...targetJobs].sort());
    expect(minus(after.delayed, before.delayed)).toEqual([]);
    expect(after.delayed.size + after.waiting.size + after.prioritized.size).toBe(200);
    expect([...(await entries())].sort()).toEqual([...others].sort());
    expect(await scheduler.isScheduled(inst.id)).toBe(false);
    for (const key of targetJobs) expect(await host.inspect.exists(key)).toBe(0);

    // And it did not read them: no command named another installation's job, nor scanned a schedule set.
    const touched = commands
      .flat()
      .map((arg) => arg.replace(/:(lock|logs|dependencies|processed)$/, ''))
      .filter((key) => otherJobIds.has(key));
    expect(touched).toEqual([]);
    const scans = commands.filter((c) => /^(zscan|zrange|zrangebyscore|scan|keys)$/i.test(c[0] ?? '') && (c[1] ?? '').includes(':poll-due:'));
    expect(scans).toEqual([]);
    const named = commands.flat().filter((arg) => others.includes(arg));
    expect(named).toEqual([]);
  }, 120_000);
});

import { Redis } from 'ioredis';
import { pollJobInstallation } from '../../src/sync/poll-queue';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { link, type LinkedInstallation } from '../helpers/link';

/**
 * Uninstall must cost the same with ten installations or a million: it removes one installation's
 * poll scheduler and jobs by their ids. Before, it read every job of the poll queue to find them
 * (the delayed set holds one job per scheduled installation), so each uninstall grew with the fleet.
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

const pollKey = (suffix: string) => `${host.services.keys.bullPrefix}:poll:${suffix}`;

/** Every job id the poll queue holds (no worker runs here, so nothing moves on its own) and every scheduler id. */
async function pollQueueIds() {
  const inspect = host.inspect;
  return {
    delayed: new Set(await inspect.zrange(pollKey('delayed'), '0', '-1')),
    waiting: new Set(await inspect.lrange(pollKey('wait'), '0', '-1')),
    prioritized: new Set(await inspect.zrange(pollKey('prioritized'), '0', '-1')),
    schedulers: new Set(await inspect.zrange(pollKey('repeat'), '0', '-1')),
  };
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
  it(`${OTHERS} other installations scheduled => uninstall removes exactly the target's scheduler and jobs, reads no other job`, async () => {
    const { scheduler } = host.services;
    await scheduler.schedule(inst.id, HOUR);
    await scheduler.pollNow(inst.id, 'manual', HOUR);
    const others = Array.from({ length: OTHERS }, (_, i) => `other-installation-${i}`);
    for (let i = 0; i < others.length; i += 200) {
      await Promise.all(others.slice(i, i + 200).map((id) => scheduler.schedule(id, HOUR)));
    }
    // Some of the others also have an immediate poll pending, like the target.
    await Promise.all(others.slice(0, 200).map((id) => scheduler.pollNow(id, 'webhook', HOUR)));

    const before = await pollQueueIds();
    const targetJobs = (await scheduler.queue.getJobs(['delayed', 'waiting', 'prioritized'], 0, -1))
      .filter((j) => pollJobInstallation(j.data) === inst.id)
      .map((j) => j.id ?? '');
    expect(targetJobs.length).toBeGreaterThanOrEqual(2); // its scheduled poll and its immediate one
    const otherJobIds = new Set([...before.delayed, ...before.waiting, ...before.prioritized].filter((id) => !targetJobs.includes(id)));
    expect(otherJobIds.size).toBe(OTHERS + 200);
    expect(before.schedulers.size).toBe(OTHERS + 1);

    const commands = await monitored(async () => {
      const res = await host.admin(`/api/installations/${inst.id}`, { method: 'DELETE' });
      expect(res.status).toBe(204);
    });

    const after = await pollQueueIds();
    // Exactly the target's jobs and scheduler went; every other job and scheduler is still there.
    expect(minus(before.delayed, after.delayed).concat(minus(before.waiting, after.waiting)).sort()).toEqual([...targetJobs].sort());
    expect(minus(after.delayed, before.delayed)).toEqual([]);
    expect(after.delayed.size + after.waiting.size + after.prioritized.size).toBe(OTHERS + 200);
    expect(after.schedulers.size).toBe(OTHERS);
    expect(await scheduler.isScheduled(inst.id)).toBe(false);
    for (const id of targetJobs) expect(await host.inspect.exists(pollKey(id))).toBe(0);

    // And it did not read them: no command named another installation's job or scheduler.
    const otherSchedulers = new Set([...after.schedulers]);
    const queuePrefix = pollKey('');
    const touched = commands
      .flat()
      .filter((arg) => arg.startsWith(queuePrefix))
      .map((arg) => arg.slice(queuePrefix.length).replace(/:(lock|logs|dependencies|processed)$/, ''))
      .filter((rest) => otherJobIds.has(rest) || otherSchedulers.has(rest.replace(/^repeat:/, '')));
    expect(touched).toEqual([]);
  }, 120_000);
});

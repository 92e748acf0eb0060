import type { Queue } from 'bullmq';
import { FakeEcobee } from '../connectors/ecobee/fake/server';
import { uninstall } from '../src/operator/uninstall';
import { pollJobInstallation, pollSchedulerId, SCHEDULED_POLL_OPTIONS, type PollJobData } from '../src/sync/poll-queue';
import { jitterOffsetMs } from '../src/sync/poll-schedule-math';
import { benchEnv, servicesFrom, size } from './lib/env';
import { fakeTokens } from './lib/ecobee';
import { benchRedis, commandCalls } from './lib/redis';
import { inParallel, seedLinkedInstallation } from './lib/seed';
import { fmt, table, type BenchResult } from './lib/stats';

const HOUR = 3_600_000;

interface Row {
  fleet: number;
  scanMs: number;
  scanCommands: number;
  purgeMs: number;
  purgeCommands: number;
  uninstallMs: number;
  uninstallCommands: number;
}

/**
 * The poll-job cleanup as uninstall did it before (kept here only to measure it beside today's in
 * the same run): it read every waiting, delayed, prioritized, failed and completed job of the poll
 * queue, 500 at a time, to find the one installation's.
 */
async function scanPurge(queue: Queue<PollJobData>, installationId: string, schedulerId: string): Promise<void> {
  await queue.removeJobScheduler(schedulerId);
  for (const state of ['waiting', 'delayed', 'prioritized', 'failed', 'completed'] as const) {
    for (let start = 0; ; start += 500) {
      const jobs = await queue.getJobs([state], start, start + 499, true);
      if (jobs.length === 0) break;
      let removed = 0;
      for (const job of jobs) {
        if (job !== undefined && pollJobInstallation(job.data) === installationId) {
          await job.remove().catch(() => undefined);
          removed++;
        }
      }
      start -= removed;
      if (jobs.length < 500) break;
    }
  }
  const active = (await queue.getJobs(['active'], 0, 999)).filter((j) => j !== undefined && pollJobInstallation(j.data) === installationId);
  for (const job of active) await job.remove().catch(() => undefined);
}

/**
 * Uninstall cost against the size of the fleet: N other installations each with its poll schedule
 * in both forms, so both purges face the fleet they were written for: a BullMQ job scheduler (and
 * so its next delayed job) in the queue, as before issue 16.4, and a schedule entry; no worker running. For each N, on fresh linked
 * installations with a schedule and a pending immediate poll: the whole uninstall with the scan
 * purge it used to run, the whole uninstall as it is, and today's purge alone; median time and Redis commands (INFO commandstats delta on a
 * private redis-server, so every command counted is ours).
 */
export async function uninstallBench(): Promise<BenchResult> {
  const sizes = [size('BENCH_UNINSTALL_SMALL', 1_000, 200), size('BENCH_UNINSTALL_MID', 10_000, 2_000), size('BENCH_UNINSTALL_MAX', 100_000, 5_000)];
  const rounds = size('BENCH_UNINSTALL_ROUNDS', 5, 3);
  const redis = await benchRedis();
  const fake = await FakeEcobee.start();
  const env = benchEnv({ redisUrl: redis.url, keyPrefix: 'bench-uninstall', connectors: { ecobee: { url: fake.url, clientId: fake.clientId } } });
  const host = await servicesFrom(env);
  const { services } = host;
  const rows: Row[] = [];
  let scheduled = 0;
  let target = 0;
  try {
    // The schedule in the form its uninstall was written for: a BullMQ job scheduler for the scan (before).
    const linkedTarget = async (form: 'scheduler' | 'entry' = 'entry'): Promise<string> => {
      const id = await seedLinkedInstallation(services, { connector: 'ecobee', locationId: `target-${target++}`, tokens: fakeTokens(fake) });
      if (form === 'entry') await services.scheduler.schedule(id, HOUR, 'ecobee');
      else await services.scheduler.queue.legacy.upsertJobScheduler(pollSchedulerId(id), { every: HOUR, offset: jitterOffsetMs(id, HOUR) }, { name: 'poll', data: { i: id, c: 'ecobee' }, opts: SCHEDULED_POLL_OPTIONS });
      await services.scheduler.pollNow(id, 'manual', HOUR);
      return id;
    };
    const measured = async (run: () => Promise<void>) => {
      const before = await commandCalls(redis.client);
      const t0 = performance.now();
      await run();
      const ms = performance.now() - t0;
      const after = await commandCalls(redis.client);
      let commands = 0;
      for (const [name, calls] of after) if (name !== 'info') commands += calls - (before.get(name) ?? 0);
      return { ms, commands };
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

    for (const fleet of sizes) {
      const t0 = Date.now();
      await inParallel(fleet - scheduled, 200, async (i) => {
        const id = `fleet-${scheduled + i}`;
        await services.scheduler.schedule(id, HOUR, 'ecobee');
        await services.scheduler.queue.legacy.upsertJobScheduler(pollSchedulerId(id), { every: HOUR, offset: jitterOffsetMs(id, HOUR) }, { name: 'poll', data: { i: id, c: 'ecobee' }, opts: SCHEDULED_POLL_OPTIONS });
      });
      scheduled = fleet;
      console.log(`  fleet of ${fleet}: scheduled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const scan: Array<{ ms: number; commands: number }> = [];
      const purge: Array<{ ms: number; commands: number }> = [];
      const whole: Array<{ ms: number; commands: number }> = [];
      for (let r = 0; r < rounds; r++) {
        const a = await linkedTarget('scheduler');
        // Today's uninstall with the purge swapped for the scan it used to run (uninstall ran it twice).
        const purgeById = services.scheduler.purge;
        services.scheduler.purge = (id: string) => scanPurge(services.scheduler.queue.legacy, id, pollSchedulerId(id));
        try {
          scan.push(await measured(() => uninstall(services, a)));
        } finally {
          services.scheduler.purge = purgeById;
        }
        const b = await linkedTarget();
        purge.push(await measured(() => services.scheduler.purge(b)));
        const c = await linkedTarget();
        whole.push(await measured(() => uninstall(services, c)));
      }
      const stillThere = await services.scheduler.queue.legacy.getJobSchedulersCount();
      if (stillThere !== fleet) throw new Error(`expected the ${fleet} others' schedulers left, found ${stillThere}`);
      const entries = new Set<string>();
      for await (const s of services.scheduler.schedules()) entries.add(s.installationId);
      if (entries.size !== fleet) throw new Error(`expected the ${fleet} others' schedule entries left, found ${entries.size}`);
      rows.push({
        fleet,
        scanMs: median(scan.map((x) => x.ms)),
        scanCommands: median(scan.map((x) => x.commands)),
        purgeMs: median(purge.map((x) => x.ms)),
        purgeCommands: median(purge.map((x) => x.commands)),
        uninstallMs: median(whole.map((x) => x.ms)),
        uninstallCommands: median(whole.map((x) => x.commands)),
      });
    }
  } finally {
    await host.close();
    await fake.stop();
    await redis.client.quit().catch(() => undefined);
    await redis.stop();
  }
  console.log(`\n## Uninstall against the fleet (poll schedulers of other installations in the queue; median of ${rounds})`);
  console.log(
    table(
      ['other installations', 'uninstall, scan purge (before) ms', 'commands', 'uninstall, purge by id (after) ms', 'commands', 'purge by id alone ms', 'commands'],
      rows.map((r) => [String(r.fleet), fmt(r.scanMs), String(r.scanCommands), fmt(r.uninstallMs), String(r.uninstallCommands), fmt(r.purgeMs), String(r.purgeCommands)]),
    ),
  );
  const first = rows[0];
  const last = rows.at(-1);
  const figures: Record<string, string> = {};
  for (const r of rows) {
    figures[`${r.fleet} before`] = `${fmt(r.scanMs)} ms/${r.scanCommands} cmds`;
    figures[`${r.fleet} after`] = `${fmt(r.uninstallMs)} ms/${r.uninstallCommands} cmds`;
  }
  return {
    name: 'uninstall',
    figures,
    ratio: first && last ? `after: ${last.fleet} vs ${first.fleet} others ${(last.uninstallMs / first.uninstallMs).toFixed(2)}× time, ${last.uninstallCommands - first.uninstallCommands} more commands` : 'n/a',
  };
}

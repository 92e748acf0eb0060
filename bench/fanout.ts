import { freemem } from 'node:os';
import { FakeEcobee } from '../connectors/ecobee/fake/server';
import { startChild, type BenchChild } from './lib/child';
import { benchEnv, QUICK, servicesFrom, size } from './lib/env';
import { benchBackend, type BenchBackend } from './lib/backend';
import { inParallel, seedCopies, seedTemplate } from './lib/seed';
import { POLL_JOB_OPTIONS } from '../src/sync/poll-queue';
import { fmt, table, type BenchResult } from './lib/stats';

interface Stats {
  type: 'stats';
  completed: number;
  failed: number;
  roundTrips: number;
  roundTripsBy: Record<string, number>;
  outcomes: Record<string, number>;
  failures: Record<string, number>;
}

type Mode = 'queued' | 'queued, no connector' | 'scheduled';

export interface Config {
  workers: number;
  mode: Mode;
  polls: number;
  seconds: number;
  perWorker: number;
  roundTripsPerPoll: number;
  /** Round trips per poll by their (first) command, largest first. */
  roundTripsBy: [string, number][];
  bytesPerPoll: number;
  unchangedShare: number;
  failed: number;
  failures: Record<string, number>;
  /** Redis CPU seconds per primary during the window (one entry on a single server). */
  cpuPerPrimary: number[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Round trips per poll by command over the window (every process), largest first; under 0.01 left out. */
function perPoll(before: readonly Stats[], after: readonly Stats[], polls: number): [string, number][] {
  const totals = new Map<string, number>();
  after.forEach((s, i) => {
    for (const [name, count] of Object.entries(s.roundTripsBy)) {
      totals.set(name, (totals.get(name) ?? 0) + count - (before[i]?.roundTripsBy[name] ?? 0));
    }
  });
  return [...totals].map(([name, count]): [string, number] => [name, count / polls]).filter(([, v]) => v >= 0.01).sort((a, b) => b[1] - a[1]);
}

/**
 * Poll fan-out: N linked installations (seeded through the stores, each with three thermostats,
 * a poll schedule and a cursor, so polls find nothing changed, the common case) against the fake
 * ecobee cloud with BENCH_FANOUT_LATENCY_MS per request. For 1, 2 and 4 worker processes: unchanged
 * polls completed per second per process, Redis round trips and bytes per poll; and Redis memory per
 * installation.
 */
export async function fanoutBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const n of fanoutSizes()) results.push((await fanoutAt(n)).result);
  return results;
}

export interface FanoutOptions {
  /** Where the data lives (bench/lib/backend.ts); default a single redis-server. */
  backend?: BenchBackend['kind'];
  /** Single server with AOF on, as the Cluster's nodes have it (side-by-side runs). */
  appendOnly?: boolean;
  /** 'queued': only the 1/2/4-process runs, without the no-connector and scheduled ones. */
  runs?: 'all' | 'queued';
}

export interface FanoutMeasured {
  result: BenchResult;
  configs: Config[];
  memoryPerInstallation: number;
  breakdown: string[];
}

/** BENCH_FANOUT_N (comma-separated) if set; quick: 1,000; else 10,000, and 100,000 when memory allows. */
function fanoutSizes(): number[] {
  const raw = process.env['BENCH_FANOUT_N'];
  if (raw && /^\d+(,\d+)*$/.test(raw)) return raw.split(',').map(Number);
  if (QUICK) return [1_000];
  // ~12 KiB of Redis per installation plus the fake's and the queue's share: 4 GB is ample.
  return freemem() >= 4 * 1024 ** 3 ? [10_000, 100_000] : [10_000];
}

export async function fanoutAt(n: number, options: FanoutOptions = {}): Promise<FanoutMeasured> {
  const where = options.backend ?? 'single';
  const latency = size('BENCH_FANOUT_LATENCY_MS', 100, 100);
  const concurrency = size('BENCH_FANOUT_CONCURRENCY', 100, 100);
  const window = size('BENCH_FANOUT_SECONDS', 15, 4);
  const processCounts = [1, 2, 4];
  const redis = await benchBackend(where, { appendOnly: options.appendOnly ?? false });
  const fake = await FakeEcobee.start({ accessTokenTtlS: 24 * 3600 });
  const env = benchEnv({ redis: redis.env, keyPrefix: 'bench-fanout', connectors: { ecobee: { url: fake.url, clientId: fake.clientId } } });
  const host = await servicesFrom(env);
  const { services } = host;
  const configs: Config[] = [];
  let memoryPerInstallation = NaN;
  const breakdown: string[] = [];
  const ids: string[] = [];
  try {
    // One installation linked and polled for real gives the device snapshot and cursor to copy.
    const template = await seedTemplate(services, fake);
    const first = template.first;
    const memoryBefore = await redis.usedMemory();
    const seedStart = performance.now();
    ids.push(...(await seedCopies(services, fake, template, n)));
    memoryPerInstallation = ((await redis.usedMemory()) - memoryBefore) / n;
    // Where one installation's bytes are, by key (job scheduler records are named by a hash, not the id).
    const sample = ids[0] ?? first;
    for (const key of (await redis.keys(`${services.config.keyPrefix}:*${sample}*`)).sort()) {
      const bytes = Number(await redis.client.memory('USAGE', key));
      breakdown.push(`${key.replace(sample, '{id}').replace(`${services.config.keyPrefix}:`, '')} ${bytes} B`);
    }
    console.log(`\n(seeded ${n} installations in ${fmt((performance.now() - seedStart) / 1000)} s)`);
    // The schedules only mattered for the memory figure: without them no scheduled poll falls due
    // (and is counted) during the queued runs; the scheduled run writes its own.
    await inParallel(ids.length, 200, (i) => services.scheduler.unschedule(ids[i] as string));
    fake.setLatency(latency);

    // Polls queued at once, with 1, 2 and 4 worker processes (throughput); then, with one process,
    // the same polls from jobs that do not name their connector (the path of schedules written
    // before issue 16.4, and of producers that only know the id), and the steady state: polls
    // made by the installations' own schedules, whose jobs BullMQ also reschedules.
    const runs: Array<{ count: number; mode: Mode }> = [
      ...processCounts.map((count) => ({ count, mode: 'queued' as const })),
      ...(options.runs === 'queued'
        ? []
        : [
            { count: 1, mode: 'queued, no connector' as const },
            { count: 1, mode: 'scheduled' as const },
          ]),
    ];
    for (const { count, mode } of runs) {
      // A clean queue for each configuration: only the polls queued (or scheduled) here are counted.
      await services.scheduler.queue.obliterate({ force: true });
      // Paused until the workers are ready and counted, so every poll in the window is counted whole.
      await services.scheduler.queue.pause();
      // Scheduled: every installation due once in each half window (whole seconds, as POLL_INTERVAL_S
      // takes them), its first slot within one period of now; the workers' dispatchers queue the polls.
      const period = Math.max(1, Math.round(window / 2));
      if (mode === 'scheduled') {
        await inParallel(ids.length, 200, (i) => services.scheduler.schedule(ids[i] as string, period * 1000, 'ecobee'));
      } else {
        // Each installation's poll in its partition's queue, as the producers put it.
        const byPartition = new Map<number, string[]>();
        for (const id of ids) {
          const k = services.keys.partitions.of(id);
          byPartition.set(k, [...(byPartition.get(k) ?? []), id]);
        }
        for (const [k, group] of byPartition) {
          for (let i = 0; i < group.length; i += 1000) {
            await services.scheduler.queue.at(k).addBulk(
              group.slice(i, i + 1000).map((installationId) => ({
                name: 'poll',
                data: { installationId, reason: 'manual' as const, ...(mode === 'queued' ? { connector: 'ecobee' } : {}) },
                opts: POLL_JOB_OPTIONS,
              })),
            );
          }
        }
      }
      const workers: BenchChild[] = Array.from({ length: count }, () =>
        startChild('worker-process.ts', { env: { ...env, WORKER_QUEUES: 'poll', WORKER_CONCURRENCY: String(concurrency), ...(mode === 'scheduled' ? { POLL_INTERVAL_S: String(period) } : {}) } }),
      );
      try {
        await Promise.all(workers.map((w) => w.next('ready')));
        const snapshot = async () => {
          for (const w of workers) w.send({ type: 'stats' });
          return Promise.all(workers.map((w) => w.next<Stats>('stats')));
        };
        const [before, bytes0, cpu0] = [await snapshot(), await redis.netBytes(), await redis.cpuSeconds()];
        const t0 = performance.now();
        await services.scheduler.queue.resume();
        const deadline = t0 + window * 1000;
        // Until the queue is drained (active polls included, so none is half-counted) or the window
        // ends; scheduled polls for the whole window.
        while (performance.now() < deadline && (mode === 'scheduled' || (await services.scheduler.queue.getJobCountByTypes('waiting', 'active')) > 0)) {
          await new Promise((r) => setTimeout(r, 200));
        }
        // No new polls once the window ends; the ones in flight finish and are counted whole (a
        // poll cut in half would count its first round trips and not itself).
        await services.scheduler.queue.pause();
        const drainDeadline = performance.now() + 30_000;
        while (performance.now() < drainDeadline && (await services.scheduler.queue.getActiveCount()) > 0) {
          await new Promise((r) => setTimeout(r, 50));
        }
        const [after, bytes1, cpu1, t1] = [await snapshot(), await redis.netBytes(), await redis.cpuSeconds(), performance.now()];
        const polls = sum(after.map((s, i) => s.completed - (before[i]?.completed ?? 0)));
        const unchanged = sum(after.map((s, i) => (s.outcomes['unchanged'] ?? 0) - (before[i]?.outcomes['unchanged'] ?? 0)));
        const seconds = (t1 - t0) / 1000;
        configs.push({
          workers: count,
          mode,
          polls,
          seconds,
          perWorker: polls / seconds / count,
          roundTripsPerPoll: sum(after.map((s, i) => s.roundTrips - (before[i]?.roundTrips ?? 0))) / polls,
          roundTripsBy: perPoll(before, after, polls),
          bytesPerPoll: (bytes1 - bytes0) / polls,
          unchangedShare: unchanged / polls,
          failed: sum(after.map((s, i) => s.failed - (before[i]?.failed ?? 0))),
          failures: Object.assign({}, ...after.map((s) => s.failures)) as Record<string, number>,
          cpuPerPrimary: cpu1.map((c, i) => c - (cpu0[i] ?? 0)),
        });
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
  } finally {
    await host.close();
    await fake.stop();
    await redis.stop();
  }

  console.log(`\n## Poll fan-out${where === 'cluster' ? ' on a Redis Cluster (3 primaries + 3 replicas)' : ''} (${n} installations × 3 thermostats; fake cloud latency ${latency} ms; worker concurrency ${concurrency}; ${window} s window${QUICK ? '; quick' : ''})`);
  const label = (c: Config) => `${c.workers}${c.mode === 'queued' ? '' : ` (${c.mode})`}`;
  console.log(
    table(
      ['worker processes', 'polls', 'polls/s total', 'polls/s per process', 'unchanged', 'Redis round trips/poll', 'Redis bytes/poll', 'failed'],
      configs.map((c) => [
        label(c),
        String(c.polls),
        fmt(c.polls / c.seconds, 0),
        fmt(c.perWorker, 0),
        `${fmt(100 * c.unchangedShare, 0)}%`,
        fmt(c.roundTripsPerPoll, 1),
        fmt(c.bytesPerPoll, 0),
        String(c.failed),
      ]),
    ),
  );
  for (const c of configs) {
    console.log(`round trips per poll, ${label(c)}: ${c.roundTripsBy.map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')}`);
  }
  if (where === 'cluster') {
    // Where the load lands: before issue 16.2 every queue's scripts ran on the one primary of `{<prefix>:bull}`.
    for (const c of configs) {
      const total = sum(c.cpuPerPrimary);
      console.log(`Redis CPU per primary, ${label(c)}: ${c.cpuPerPrimary.map((x) => `${fmt((100 * x) / (total || 1), 0)}%`).join(' / ')} of ${fmt(total, 1)} s`);
    }
  }
  for (const c of configs.filter((x) => x.failed > 0)) console.log(`failures, ${label(c)}, by reason: ${JSON.stringify(c.failures)}`);
  // Not measurable side by side: the code before issue 16.4 is gone. Its figure, from its own runs.
  console.log(`before issue 16.4 (not this run: bench/results of 2026-11-23 and a quick run on this machine on 2026-12-04): 5.0-5.2 round trips per unchanged poll`);
  console.log(`Redis memory per linked installation: ${fmt(memoryPerInstallation / 1024, 2)} KiB (INFO used_memory delta / ${n}; \`npm run bench -- memory\` compares before and after)`);
  console.log(`  of which, by key (MEMORY USAGE): ${breakdown.join(', ')}; the rest is the poll schedule and index sets`);
  const queued = configs.filter((c) => c.mode === 'queued');
  const one = queued.find((c) => c.workers === 1);
  const four = queued.find((c) => c.workers === 4);
  const byMode = (mode: Mode) => configs.find((c) => c.mode === mode);
  const result: BenchResult = {
    name: `poll fan-out${where === 'cluster' ? ' (Cluster)' : ''}, ${n.toLocaleString('en-US')}`,
    figures: {
      N: String(n),
      'polls/s per process (1/2/4)': queued.map((c) => fmt(c.perWorker, 0)).join(' / '),
      'round trips/poll (queued / no connector / scheduled)': [one, byMode('queued, no connector'), byMode('scheduled')].map((c) => (c ? fmt(c.roundTripsPerPoll, 1) : 'n/a')).join(' / '),
      'bytes/poll': one ? fmt(one.bytesPerPoll, 0) : 'n/a',
      'KiB/installation': fmt(memoryPerInstallation / 1024, 2),
    },
    ratio: one && four ? `4 processes: ${((four.polls / four.seconds) / (one.polls / one.seconds)).toFixed(2)}× the throughput of 1` : 'n/a',
  };
  return { result, configs, memoryPerInstallation, breakdown };
}

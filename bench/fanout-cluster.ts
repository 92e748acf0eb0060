import { fanoutAt, type Config, type FanoutMeasured } from './fanout';
import { QUICK, size } from './lib/env';
import { fmt, table, type BenchResult } from './lib/stats';

/**
 * The poll fan-out on a Redis Cluster beside a single server, in one run: the same N seeded
 * installations, fake cloud and 1/2/4 worker processes (queued polls only) on each, one after the
 * other. The single server runs with AOF on, as the Cluster's nodes do. Printed: polls/s per
 * process, round trips per unchanged poll and Redis memory per installation on both, and Cluster ÷
 * single. BENCH_FANOUT_CLUSTER_N sets N (default 5,000, quick 1,000); the other knobs are
 * fanout's (BENCH_FANOUT_SECONDS, _LATENCY_MS, _CONCURRENCY).
 */
export async function fanoutClusterBench(): Promise<BenchResult> {
  const n = size('BENCH_FANOUT_CLUSTER_N', 5_000, 1_000);
  const single = await fanoutAt(n, { backend: 'single', appendOnly: true, runs: 'queued' });
  const cluster = await fanoutAt(n, { backend: 'cluster', runs: 'queued' });

  const at = (m: FanoutMeasured, workers: number): Config | undefined => m.configs.find((c) => c.workers === workers && c.mode === 'queued');
  const total = (c: Config | undefined) => (c ? c.polls / c.seconds : NaN);
  const times = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
  const counts = [1, 2, 4];
  console.log(`\n## Poll fan-out, Redis Cluster (3 primaries + 3 replicas) beside a single server (${n.toLocaleString('en-US')} installations; both append-only${QUICK ? '; quick' : ''})`);
  console.log(
    table(
      ['worker processes', 'polls/s per process: single', 'Cluster', 'Cluster ÷ single', 'round trips/unchanged poll: single', 'Cluster', 'unchanged (single / Cluster)', 'failed (single / Cluster)'],
      counts.map((w) => {
        const [s, c] = [at(single, w), at(cluster, w)];
        return [
          String(w),
          fmt(s?.perWorker ?? NaN, 0),
          fmt(c?.perWorker ?? NaN, 0),
          times(total(c), total(s)),
          fmt(s?.roundTripsPerPoll ?? NaN, 2),
          fmt(c?.roundTripsPerPoll ?? NaN, 2),
          `${fmt(100 * (s?.unchangedShare ?? NaN), 0)}% / ${fmt(100 * (c?.unchangedShare ?? NaN), 0)}%`,
          `${s?.failed ?? 'n/a'} / ${c?.failed ?? 'n/a'}`,
        ];
      }),
    ),
  );
  const kib = (m: FanoutMeasured) => fmt(m.memoryPerInstallation / 1024, 2);
  console.log(`Redis memory per linked installation: single ${kib(single)} KiB, Cluster ${kib(cluster)} KiB (used_memory delta over seeding ÷ N, summed over the primaries; replicas hold a copy each)`);
  console.log(`  Cluster, by key (MEMORY USAGE): ${cluster.breakdown.join(', ')}`);

  const perProcess = (m: FanoutMeasured) => counts.map((w) => fmt(at(m, w)?.perWorker ?? NaN, 0)).join(' / ');
  const trips = (m: FanoutMeasured) => counts.map((w) => fmt(at(m, w)?.roundTripsPerPoll ?? NaN, 1)).join(' / ');
  return {
    name: `poll fan-out, Cluster beside single, ${n.toLocaleString('en-US')}`,
    figures: {
      N: String(n),
      'polls/s per process 1/2/4 (single; Cluster)': `${perProcess(single)}; ${perProcess(cluster)}`,
      'round trips/poll 1/2/4 (single; Cluster)': `${trips(single)}; ${trips(cluster)}`,
      'KiB/installation (single; Cluster)': `${kib(single)}; ${kib(cluster)}`,
    },
    ratio: `Cluster throughput ${counts.map((w) => times(total(at(cluster, w)), total(at(single, w)))).join(' / ')} of single (1/2/4 processes)`,
  };
}

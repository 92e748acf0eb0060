/**
 * `npm run bench [-- <name>…] [--profile]`: runs the benchmarks (all by default) and prints a
 * summary table. BENCH_QUICK=1 scales every size down. Not part of `npm test`.
 */
import { EventEmitter } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { BENCH_DIR } from './lib/child';
import { QUICK } from './lib/env';
import { table, type BenchResult } from './lib/stats';

type Bench = (options: { profile?: boolean }) => Promise<BenchResult | BenchResult[]>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  ingest: async () => (await import('./ingest')).ingestBench,
  e2e: async () => (await import('./e2e')).e2eBench,
  fanout: async () => (await import('./fanout')).fanoutBench,
  'fanout-cluster': async () => (await import('./fanout-cluster')).fanoutClusterBench,
  stampede: async () => (await import('./stampede')).stampedeBench,
  uninstall: async () => (await import('./uninstall')).uninstallBench,
  rekey: async () => (await import('./rekey')).rekeyBench,
  sinks: async () => (await import('./sinks')).sinksBench,
  memory: async () => (await import('./memory')).memoryBench,
};

// The fake clouds park every delayed answer on one AbortSignal (to cut them short at stop): with
// thousands in flight that is expected, not a leak.
EventEmitter.defaultMaxListeners = 100_000;

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
const selected = names.length ? names : Object.keys(BENCHES);

const machine = `${cpus().length} cores, ${cpus()[0]?.model.trim() ?? 'unknown cpu'}, node ${process.version}`;
console.log(`machine: ${machine}${QUICK ? '  (BENCH_QUICK=1: reduced sizes)' : ''}`);
const started = Date.now();
const results: BenchResult[] = [];
let failed = false;
for (const name of selected) {
  const t0 = Date.now();
  try {
    const bench = await (BENCHES[name] as () => Promise<Bench>)();
    const out = await bench({ profile });
    results.push(...(Array.isArray(out) ? out : [out]));
  } catch (err) {
    failed = true;
    console.error(`\n${name} failed: ${(err as Error).stack ?? String(err)}`);
    results.push({ name, figures: { error: (err as Error).message.slice(0, 80) }, ratio: 'n/a' });
  }
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

const resultsFile = resolve(BENCH_DIR, 'results', `latest${QUICK ? '-quick' : ''}.json`);
console.log(`\n## Summary (${((Date.now() - started) / 1000).toFixed(0)} s; ${machine}${QUICK ? '; quick sizes' : ''})`);
console.log(
  table(
    ['benchmark', 'figures', 'ratio (same run)'],
    results.map((r) => [r.name, Object.entries(r.figures).map(([k, v]) => `${k}: ${v}`).join('; '), r.ratio]),
  ),
);
await writeFile(resultsFile, `${JSON.stringify(mergeResults(await readFile(resultsFile, 'utf8').catch(() => ''), results), null, 2)}\n`).catch(
  () => undefined,
);

/**
 * Each benchmark's latest result, with when and where it ran: a run of some benchmarks replaces
 * theirs and keeps the others' (a file from before results carried their own time and machine
 * lends them its top-level ones).
 */
function mergeResults(previous: string, fresh: readonly BenchResult[]) {
  type Stored = BenchResult & { at: string; machine: string };
  let kept: Stored[] = [];
  try {
    const old = JSON.parse(previous) as { at?: string; machine?: string; results?: Array<Partial<Stored>> };
    kept = (old.results ?? []).map((r) => ({ ...(r as BenchResult), at: r.at ?? old.at ?? '', machine: r.machine ?? old.machine ?? '' }));
  } catch {
    // no previous results, or unreadable: start afresh
  }
  const at = new Date().toISOString();
  const byName = new Map<string, Stored>(kept.map((r) => [r.name, r]));
  for (const r of fresh) byName.set(r.name, { ...r, at, machine });
  return { updated: at, quick: QUICK, results: [...byName.values()] };
}
process.exit(failed ? 1 : 0);

import { randomUUID } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import autocannon from 'autocannon';
import { manualSetpointPush, signature } from '../connectors/netatmo/fake/push';
import { hashToken, randomToken } from '../src/runtime/secrets/crypto';
import { callbacksOf } from '../src/ingest/webhook-queue';
import { issueCallbackToken } from '../src/ingest/cloud-subscriptions';
import { BENCH_DIR, startChild } from './lib/child';
import { benchEnv, QUICK, servicesFrom, size } from './lib/env';
import { benchRedis, cpuSeconds, pin } from './lib/redis';
import { fmt, ratio, table, type BenchResult } from './lib/stats';

const CLIENT_SECRET = 'bench-netatmo-client-secret';
const CONNECTIONS = 50;

/** A Netatmo setpoint push of about 300 bytes, as the cloud sends it. */
export const setpointBody = (homeId: string, roomId: string, temperature: number, userId = '5c810xxxxxxxxxxxxxxxxxxx'): string =>
  manualSetpointPush({ userId, homeId, roomId, temperature });

export const sign = (body: string, secret = CLIENT_SECRET): string => signature(secret, body);

interface Run {
  mode: 'bare' | 'real';
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** real only: callbacks (and the jobs holding them) found in Redis after the run, to compare with the 2xx count. */
  queued?: { callbacks: number; jobs: number };
  /** CPU use during the measured run, in % of one core. */
  cpu: { server: number; redis: number; load: number };
  /** Server CPU time per answered request: steadier than req/s on a machine shared with others. */
  usPerRequest: number;
}

/**
 * Webhook ingest: the real callback endpoint (token check, signature check, durable enqueue) vs a
 * bare Koa endpoint on the same machine in the same run. Server pinned to core 0; autocannon and
 * Redis on core 1.
 */
export async function ingestBench(options: { profile?: boolean } = {}): Promise<BenchResult> {
  const seconds = size('BENCH_INGEST_SECONDS', 6, 4);
  const pairs = size('BENCH_INGEST_PAIRS', 4, 1);
  // BENCH_INGEST_INSTALLATIONS (default 1): callbacks spread over that many installations, so
  // over their partitions (one job per partition and event-loop turn).
  const installations = size('BENCH_INGEST_INSTALLATIONS', 1, 1);
  const warmup = QUICK ? 1 : 3;
  const redis = await benchRedis();
  const pinned = pin(redis.process.pid ?? 0, '1') && pin(process.pid, '1');
  const env = benchEnv({
    redisUrl: redis.url,
    keyPrefix: 'bench-ingest',
    connectors: { netatmo: { url: 'http://127.0.0.1:9', clientId: 'bench-netatmo', clientSecret: CLIENT_SECRET } },
  });
  const host = await servicesFrom(env);
  const { services } = host;
  const runs: Run[] = [];
  const profiles: string[] = [];
  // Alternate, so that drift on a shared machine does not favour whichever ran last.
  // Pairs of runs, the order flipped every other pair (bare real, real bare, …).
  const order: Array<'bare' | 'real'> = Array.from({ length: pairs }, (_, i): Array<'bare' | 'real'> => (i % 2 ? ['real', 'bare'] : ['bare', 'real'])).flat();
  try {
    if (!services.connectors.get('netatmo')?.definition.webhook) throw new Error('the netatmo connector (webhooks) is not enabled');
    const paths: string[] = [];
    for (let i = 0; i < installations; i++) {
      const created = await services.installations.create({
        id: randomUUID(),
        connector: 'netatmo',
        locationId: `bench-home-${i}`,
        singleInstance: true,
        tokenHash: hashToken(randomToken()),
        now: new Date(),
      });
      if (!created.created) throw new Error('seeding failed');
      await services.installations.setStatus(created.installation.id, 'linked', new Date());
      const callback = new URL(await issueCallbackToken(services, created.installation));
      paths.push(`${callback.pathname}${callback.search}`);
    }
    const body = setpointBody('5d1xxxxxxxxxxxxxxxxxxxxx', '2255031728', 21.5);
    const headers = { 'content-type': 'application/json', 'x-netatmo-secret': sign(body) };

    const profileDir = resolve(BENCH_DIR, 'profiles');
    if (options.profile) await mkdir(profileDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (const [i, mode] of order.entries()) {
      await services.webhooks.queue.obliterate({ force: true });
      // Both sides, so that what the real endpoint adds can be read off the difference.
      // One folder per run: --cpu-prof writes a file per thread (tsx's loader has one).
      const runDir = resolve(profileDir, `ingest-${stamp}-${i + 1}-${mode}`);
      const nodeArgs = options.profile ? ['--cpu-prof', '--cpu-prof-dir', runDir] : [];
      if (options.profile) profiles.push(runDir);
      const server = startChild('ingest-server.ts', { env: { ...env, INGEST_MODE: mode }, cores: '0', nodeArgs });
      try {
        const { port } = await server.next<{ type: 'ready'; port: number }>('ready');
        const url = `http://127.0.0.1:${port}${paths[0] ?? ''}`;
        let next = 0;
        const spread = paths.length > 1 ? { requests: [{ setupRequest: (req: autocannon.Request): autocannon.Request => ({ ...req, path: paths[next++ % paths.length] ?? '/' }) }] } : {};
        const opts = { url, method: 'POST' as const, headers, body, connections: CONNECTIONS, ...spread };
        const warm = await autocannon({ ...opts, duration: warmup });
        const pids = { server: server.process.pid ?? 0, redis: redis.process.pid ?? 0, load: process.pid };
        const before = { server: cpuSeconds(pids.server), redis: cpuSeconds(pids.redis), load: cpuSeconds(pids.load) };
        const t0 = performance.now();
        const r = await autocannon({ ...opts, duration: seconds });
        const wall = (performance.now() - t0) / 1000;
        const used = (k: keyof typeof pids) => (100 * (cpuSeconds(pids[k]) - before[k])) / wall;
        const run: Run = {
          mode,
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          ok: r['2xx'],
          non2xx: r.non2xx,
          errors: r.errors,
          cpu: { server: used('server'), redis: used('redis'), load: used('load') },
          usPerRequest: ((used('server') / 100) * wall * 1e6) / Math.max(1, r['2xx'] + r.non2xx),
        };
        if (mode === 'real') {
          const jobs = await services.webhooks.queue.getJobs(['waiting'], 0, -1);
          run.queued = { callbacks: jobs.reduce((n, j) => n + callbacksOf(j.data).length, 0), jobs: jobs.length };
          const acknowledged = warm['2xx'] + r['2xx'];
          if (run.queued.callbacks < acknowledged) throw new Error(`acknowledged ${acknowledged} callbacks but only ${run.queued.callbacks} are in Redis`);
        }
        runs.push(run);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await host.close();
    await redis.client.quit().catch(() => undefined);
    await redis.stop();
    pin(process.pid, '0-1');
  }

  const best = (mode: 'bare' | 'real') => runs.filter((r) => r.mode === mode).sort((a, b) => b.rps - a.rps)[0];
  const bare = best('bare');
  const real = best('real');
  console.log(`\n## Webhook ingest (${CONNECTIONS} connections, ${installations} installation(s), ${seconds} s per run, ~300-byte body${pinned ? ', server on core 0, load + Redis on core 1' : ', NOT pinned (no taskset)'})`);
  console.log(
    table(
      ['endpoint', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'non-2xx', 'errors', 'in Redis (jobs)', 'CPU % server/redis/load', 'server CPU µs/req'],
      runs.map((r) => [
        r.mode === 'bare' ? 'bare Koa, parse + 202' : 'webhook (auth, signature, enqueue)',
        fmt(r.rps, 0),
        fmt(r.p50),
        fmt(r.p99),
        String(r.ok),
        String(r.non2xx),
        String(r.errors),
        r.queued === undefined ? '' : `${r.queued.callbacks} (${r.queued.jobs})`,
        `${fmt(r.cpu.server, 0)}/${fmt(r.cpu.redis, 0)}/${fmt(r.cpu.load, 0)}`,
        fmt(r.usPerRequest, 0),
      ]),
    ),
  );
  // The headline: the median over pairs of adjacent runs. On a VM whose speed drifts by tens of
  // per cent from one run to the next, a pair shares its conditions; best-of-each does not.
  const pairRatios = Array.from({ length: pairs }, (_, i) => {
    const [a, b] = runs.slice(2 * i, 2 * i + 2);
    const pairBare = a?.mode === 'bare' ? a : b;
    const pairReal = a?.mode === 'real' ? a : b;
    return pairBare && pairReal && pairBare !== pairReal ? pairReal.rps / pairBare.rps : NaN;
  }).filter((x) => Number.isFinite(x));
  const sorted = [...pairRatios].sort((x, y) => x - y);
  const mid = sorted.length / 2;
  const median = sorted.length === 0 ? NaN : sorted.length % 2 ? (sorted[Math.floor(mid)] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  const ratioText = Number.isFinite(median) ? ratio(median, 1) : 'n/a';
  const bestText = bare && real ? ratio(real.rps, bare.rps) : 'n/a';
  const cpuRatio = bare && real ? ratio(bare.usPerRequest, real.usPerRequest) : 'n/a';
  console.log(`ratio by req/s, per pair of adjacent runs: ${pairRatios.map((x) => ratio(x, 1)).join(', ')}; median ${ratioText}`);
  console.log(`best real / best bare: ${bestText} by req/s; ${cpuRatio} by server CPU per request`);
  for (const dir of profiles) {
    // The main thread's profile is the one with ".0." in its name.
    const main = (await readdir(dir).catch(() => [])).find((f) => /\.0\.\d+\.cpuprofile$/.test(f));
    if (main) console.log(`profile: npx tsx bench/profile-top.ts ${relative(process.cwd(), resolve(dir, main))}`);
  }
  return {
    name: 'webhook ingest',
    figures: {
      'req/s': real ? fmt(real.rps, 0) : 'n/a',
      'p50/p99 ms': real ? `${fmt(real.p50)} / ${fmt(real.p99)}` : 'n/a',
      'bare Koa req/s': bare ? fmt(bare.rps, 0) : 'n/a',
      'server CPU µs/req (real/bare)': real && bare ? `${fmt(real.usPerRequest, 0)} / ${fmt(bare.usPerRequest, 0)}` : 'n/a',
      'ratio per pair': pairRatios.map((x) => ratio(x, 1)).join(', '),
    },
    ratio: `${ratioText} of bare Koa (median of pairs)`,
  };
}

import { FakeEcobee } from '../connectors/ecobee/fake/server';
import { benchEnv, servicesFrom, size } from './lib/env';
import { fakeTokens, THERMOSTAT_QUERY } from './lib/ecobee';
import { benchRedis } from './lib/redis';
import { seedLinkedInstallation } from './lib/seed';
import { fmt, table, type BenchResult } from './lib/stats';

interface Round {
  calls: number;
  freshMs: number;
  expiredMs: number;
  refreshes: number;
  ok: number;
}

/**
 * Refresh stampede: N concurrent calls through the authorized client on an expired token must
 * cause exactly one refresh; the time until all N complete is set against N calls with a fresh
 * token, in the same run. The fake answers after BENCH_STAMPEDE_LATENCY_MS (default 5).
 */
export async function stampedeBench(): Promise<BenchResult> {
  const sizes = [100, size('BENCH_STAMPEDE_MAX', 1000, 1000)];
  const latency = size('BENCH_STAMPEDE_LATENCY_MS', 5, 5);
  const redis = await benchRedis();
  const fake = await FakeEcobee.start({ refreshTokenReuse: 'strict' });
  fake.setLatency(latency);
  const env = benchEnv({ redisUrl: redis.url, keyPrefix: 'bench-stampede', connectors: { ecobee: { url: fake.url, clientId: fake.clientId } } });
  const host = await servicesFrom(env);
  const { services } = host;
  const rounds: Round[] = [];
  try {
    const connector = services.connectors.get('ecobee');
    if (!connector) throw new Error('ecobee not enabled');
    const id = await seedLinkedInstallation(services, { connector: 'ecobee', locationId: 'stampede', tokens: fakeTokens(fake) });
    const http = services.clients.for(id, connector);
    const burst = async (n: number) => {
      const t0 = performance.now();
      const results = await Promise.allSettled(Array.from({ length: n }, () => http.request(THERMOSTAT_QUERY)));
      return { ms: performance.now() - t0, ok: results.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length };
    };
    await burst(10); // warm-up: connections, JIT
    for (const n of sizes) {
      const fresh = await burst(n);
      fake.expireAccessTokens();
      const before = fake.refreshCount();
      const expired = await burst(n);
      rounds.push({ calls: n, freshMs: fresh.ms, expiredMs: expired.ms, refreshes: fake.refreshCount() - before, ok: expired.ok });
    }
  } finally {
    await host.close();
    await fake.stop();
    await redis.client.quit().catch(() => undefined);
    await redis.stop();
  }
  console.log(`\n## Refresh stampede (one process; fake latency ${latency} ms; ecobee allows 2 requests in flight per installation)`);
  console.log(
    table(
      ['concurrent calls', 'refreshes', 'succeeded', 'all done, expired token (ms)', 'same calls, fresh token (ms)', 'ratio'],
      rounds.map((r) => [String(r.calls), String(r.refreshes), `${r.ok}/${r.calls}`, fmt(r.expiredMs), fmt(r.freshMs), `${(r.expiredMs / r.freshMs).toFixed(2)}×`]),
    ),
  );
  const bad = rounds.filter((r) => r.refreshes !== 1 || r.ok !== r.calls);
  if (bad.length) throw new Error(`stampede: expected exactly 1 refresh and all calls to succeed, got ${bad.map((r) => `${r.refreshes} refreshes, ${r.ok}/${r.calls} ok`).join('; ')}`);
  const last = rounds.at(-1);
  return {
    name: 'refresh stampede',
    figures: Object.fromEntries(rounds.map((r) => [`${r.calls} calls`, `${r.refreshes} refresh, ${fmt(r.expiredMs, 0)} ms`])),
    ratio: last ? `${(last.expiredMs / last.freshMs).toFixed(2)}× fresh-token time (${last.calls} calls)` : 'n/a',
  };
}

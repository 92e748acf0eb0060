import { randomBytes } from 'node:crypto';
import { FakeEcobee } from '../connectors/ecobee/fake/server';
import { rekeyCommand } from '../src/runtime/rekey-command';
import { benchEnv, servicesFrom, size } from './lib/env';
import { fakeTokens } from './lib/ecobee';
import { benchRedis } from './lib/redis';
import { inParallel, seedLinkedInstallation } from './lib/seed';
import { fmt, type BenchResult } from './lib/stats';

/**
 * `npm run bench -- rekey`: 10,000 linked installations (BENCH_REKEY_N) with tokens sealed under
 * k1, then `rekey` to k2 timed as the command runs it (its own connection, 500 per batch),
 * and a second run that finds everything current.
 */
export async function rekeyBench(): Promise<BenchResult> {
  const n = size('BENCH_REKEY_N', 10_000, 1_000);
  const redis = await benchRedis();
  const fake = await FakeEcobee.start();
  const k1 = randomBytes(32).toString('hex');
  const k2 = randomBytes(32).toString('hex');
  const env = { ...benchEnv({ redisUrl: redis.url, keyPrefix: 'bench-rekey', connectors: { ecobee: { url: fake.url, clientId: fake.clientId } } }), SECRET_KEYS: `k1:${k1}` };
  const host = await servicesFrom(env);
  try {
    const t0 = Date.now();
    await inParallel(n, 200, async (i) => {
      await seedLinkedInstallation(host.services, { connector: 'ecobee', locationId: `loc-${i}`, tokens: fakeTokens(fake) });
    });
    console.log(`  seeded ${n} installations in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line), progress: { write: () => true } };
    const rotated = { ...env, SECRET_KEYS: `k2:${k2},k1:${k1}` };
    const first = performance.now();
    const code = await rekeyCommand([], rotated, io);
    const firstMs = performance.now() - first;
    const second = performance.now();
    const again = await rekeyCommand([], rotated, io);
    const secondMs = performance.now() - second;
    if (code !== 0 || again !== 0) throw new Error(`rekey exited ${code}/${again}: ${out.join('\n')}`);
    for (const line of out) console.log(`  ${line}`);
    return {
      name: `rekey (${n} installations)`,
      figures: {
        'first run': `${fmt(firstMs)} ms`,
        throughput: `${Math.round(n / (firstMs / 1000))} secrets/s`,
        'second run (all current)': `${fmt(secondMs)} ms`,
      },
      ratio: `${(secondMs / firstMs).toFixed(2)}× for the no-op run`,
    };
  } finally {
    await host.close();
    await fake.stop();
    await redis.stop();
  }
}

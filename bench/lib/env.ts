import { randomBytes } from 'node:crypto';
// The test helpers, not copies: bench builds hosts and children exactly as the tests do.
import { connectorVars } from '../../test/helpers/child-env';
import { servicesFromEnv, type BuiltServices } from '../../test/helpers/services-from-env';

/** BENCH_QUICK=1 scales every benchmark down (CI smoke runs, development on a busy machine). */
export const QUICK = process.env['BENCH_QUICK'] === '1' || process.env['BENCH_QUICK'] === 'true';

/** A size that is `full` normally and `quick` under BENCH_QUICK, overridable by an env variable. */
export function size(envVar: string, full: number, quick: number): number {
  const raw = process.env[envVar];
  if (raw !== undefined && /^\d+$/.test(raw)) return Number(raw);
  return QUICK ? quick : full;
}

/** The environment a bench host or worker process is configured from (also passed to children). */
export function benchEnv(input: {
  /** A single server's URL, or `redis`: the topology's variables (BenchBackend.env, e.g. REDIS_CLUSTER_NODES). */
  redisUrl?: string;
  redis?: Record<string, string>;
  keyPrefix: string;
  connectors: Record<string, { url: string; clientId: string; clientSecret?: string }>;
}): Record<string, string> {
  return {
    ...(input.redisUrl !== undefined ? { REDIS_URL: input.redisUrl } : {}),
    ...input.redis,
    KEY_PREFIX: input.keyPrefix,
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    SECRET_KEY: process.env['BENCH_SECRET_KEY'] ?? randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://127.0.0.1:3000',
    DEMO: 'false',
    ...connectorVars(input.connectors),
  };
}

/** Services exactly as main builds them, from a bench environment (shared with the test helpers). */
export function servicesFrom(env: Record<string, string | undefined>): Promise<BuiltServices> {
  return servicesFromEnv(env);
}

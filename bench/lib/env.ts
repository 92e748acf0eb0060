import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/config';
import { loadConnectors } from '../../src/connectors/registry';
import type { Connector } from '../../src/connectors/define-connector';
import { createLogger } from '../../src/logging/logger';
import { buildServices, enableConnectors } from '../../src/runtime/build-services';
import type { Services } from '../../src/services';
import { createRedis } from '../../src/store/redis';

/** BENCH_QUICK=1 scales every benchmark down (CI smoke runs, development on a busy machine). */
export const QUICK = process.env['BENCH_QUICK'] === '1' || process.env['BENCH_QUICK'] === 'true';

/** A size that is `full` normally and `quick` under BENCH_QUICK, overridable by an env variable. */
export function size(envVar: string, full: number, quick: number): number {
  const raw = process.env[envVar];
  if (raw !== undefined && /^\d+$/.test(raw)) return Number(raw);
  return QUICK ? quick : full;
}

/** The environment a bench host or worker process is configured from (also passed to children). */
export function benchEnv(input: { redisUrl: string; keyPrefix: string; connectors: Record<string, { url: string; clientId: string; clientSecret?: string }> }): Record<string, string> {
  const env: Record<string, string> = {
    REDIS_URL: input.redisUrl,
    KEY_PREFIX: input.keyPrefix,
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    SECRET_KEY: process.env['BENCH_SECRET_KEY'] ?? randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://127.0.0.1:3000',
    DEMO: 'false',
  };
  for (const [name, c] of Object.entries(input.connectors)) {
    const prefix = name.toUpperCase();
    env[`${prefix}_CLIENT_ID`] = c.clientId;
    env[`${prefix}_API_URL`] = c.url;
    if (c.clientSecret) env[`${prefix}_CLIENT_SECRET`] = c.clientSecret;
  }
  return env;
}

let definitions: Map<string, Connector> | undefined;

/** Services exactly as main builds them, from a bench environment. */
export async function servicesFrom(env: Record<string, string | undefined>): Promise<{ services: Services; config: Config; close(): Promise<void> }> {
  definitions ??= await loadConnectors();
  const config = loadConfig(
    env,
    [...definitions.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })),
  );
  const redis = createRedis(config.redisUrl ?? '');
  redis.on('error', () => undefined);
  const services = buildServices({
    config,
    log: createLogger('silent'),
    redis,
    redisUrl: config.redisUrl ?? '',
    connectors: enableConnectors(definitions, config),
  });
  return {
    services,
    config,
    async close() {
      services.missedDeliveries.close();
      await Promise.all([services.scheduler.close(), services.webhooks.close()]).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/**
 * Services exactly as src/runtime/main.ts builds them, from environment variables: for test hosts, the
 * child processes tests spawn, and the benchmarks. No vitest import, so any process can use it.
 */
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/runtime/config';
import type { Connector } from '../../src/connectors/define-connector';
import { loadConnectors } from '../../src/connectors/registry';
import { createLogger, type Logger } from '../../src/runtime/logging/logger';
import { buildServices, enableConnectors } from '../../src/runtime/build-services';
import type { Services } from '../../src/runtime/services';
import { whenReady } from '../../src/runtime/redis/connections';
import { connectionsFor } from './redis-client';

export interface BuiltServices {
  services: Services;
  config: Config;
  redis: Redis;
  /** Closes what the services opened (queues, scheduler, Redis); leaves Redis data alone. */
  close(): Promise<void>;
}

let definitions: Promise<Map<string, Connector>> | undefined;

/** The connector folders, loaded once per process. */
export function connectorDefinitions(): Promise<Map<string, Connector>> {
  definitions ??= loadConnectors();
  return definitions;
}

export async function servicesFromEnv(
  env: Record<string, string | undefined>,
  options: {
    /** Silent by default; a function gets the loaded config (e.g. to honour LOG_LEVEL). */
    log?: Logger | ((config: Config) => Logger);
    now?: () => number;
    mode?: 'serve' | 'work';
    /** Connectors besides the repository's (a test connector, a scaffold in a temporary folder). */
    connectors?: ReadonlyMap<string, Connector>;
  } = {},
): Promise<BuiltServices> {
  const defs = new Map([...(await connectorDefinitions()), ...(options.connectors ?? [])]);
  const config = loadConfig(
    env,
    [...defs.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })),
    options.mode,
  );
  const connections = connectionsFor(config);
  const redis = connections.create('request');
  // A test or bench that stops Redis on purpose must not crash on the reconnect noise.
  redis.on('error', () => undefined);
  // As main does: the request client has no offline queue, so a test's first command must not
  // race its connect. A Redis that is down on purpose (readyz tests) is not waited for long.
  await whenReady(redis, { timeoutMs: 3_000 }).catch(() => undefined);
  const services = buildServices({
    config,
    log: typeof options.log === 'function' ? options.log(config) : (options.log ?? createLogger('silent')),
    redis,
    connections,
    connectors: enableConnectors(defs, config),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    services,
    config,
    redis,
    async close() {
      services.missedDeliveries.close();
      await services.callbackTokens.close();
      await Promise.all([services.scheduler.close(), services.webhooks.close(), services.revocations.close()]).catch(() => undefined);
      redis.disconnect();
    },
  };
}

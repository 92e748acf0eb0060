import type { Redis } from 'ioredis';
import { buildCloud } from '../cloud';
import { buildPlatform, markReauthRequired } from '../platform';
import { Metrics } from './metrics/metrics';
import { buildSync } from '../sync';
import { buildIngest } from '../ingest';
import type { Config } from './config';
import type { Connector } from '../connectors';
import type { Logger } from './logging/logger';
import { buildLinking } from '../linking';
import type { Base, EnabledConnector, Services } from './services';
import { createKeys } from './redis/keys';
import type { RedisConnections } from './redis/connections';
import { buildWebServices, deliveryStateMigrations } from '../webservices';
import type { LayoutMigration } from './redis/layout';

/** Enabled = has credentials (real, or a fake's in demo mode). */
export function enableConnectors(
  definitions: ReadonlyMap<string, Connector>,
  config: Config,
): Map<string, EnabledConnector> {
  const enabled = new Map<string, EnabledConnector>();
  for (const [name, definition] of definitions) {
    const credentials = config.connectors[name];
    if (credentials) enabled.set(name, { definition, credentials });
  }
  return enabled;
}

/** The shared base, then each slice's parts from it, lower slices first. */
export function buildServices(input: {
  config: Config;
  log: Logger;
  redis: Redis;
  connections: RedisConnections;
  connectors: ReadonlyMap<string, EnabledConnector>;
  now?: () => number;
  metrics?: Metrics;
  /** The partitions the data was created with (runtime/redis/layout.ts ensureLayout); default: REDIS_PARTITIONS, else 16. */
  partitions?: number;
}): Services {
  const { config, log, redis } = input;
  const base: Base = {
    config,
    log,
    redis,
    keys: createKeys(config.keyPrefix, input.partitions ?? config.redisPartitions, { cluster: input.connections.topology.kind === 'cluster' }),
    connectors: input.connectors,
    metrics: input.metrics ?? new Metrics(),
    connections: input.connections,
    now: input.now ?? Date.now,
  };
  const queueError = (name: string) => (err: Error) => log.debug({ queue: name, reason: err.message }, 'queue connection error');
  // `services` is referenced lazily by the callback below; it runs only after it exists.
  let services: Services | undefined;
  const cloud = buildCloud(base, {
    onReauthRequired: async (installationId, reason, refusedTokens) => {
      if (services) await markReauthRequired(services, installationId, reason, refusedTokens);
    },
    onQueueError: queueError('token-revocation'),
  });
  const platform = buildPlatform(base, (id) => cloud.tokens.recordKey(id));
  const sync = buildSync(base, queueError('poll'));
  services = {
    ...base,
    ...platform,
    ...cloud,
    ...sync,
    ...buildIngest(base, sync, queueError('webhook')),
    ...buildLinking(base),
    ...buildWebServices(base, queueError('smartapp-delivery')),
  };
  return services;
}

/** Every family's move of its layout-1 keys, for ensureLayout (main and the tools run the same list). */
export function layoutMigrations(prefix: string): LayoutMigration[] {
  return [...deliveryStateMigrations(prefix)];
}

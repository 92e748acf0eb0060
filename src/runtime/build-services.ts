import type { Redis } from 'ioredis';
import { AuthorizedClients, ProviderTokenStore, RateGate, RefreshCoordinator, TokenRevocations } from '../cloud';
import { DeviceStore, EventLog, HealthStore, InstallationStore, markReauthRequired } from '../platform';
import { Metrics } from './metrics/metrics';
import { PollScheduler } from '../sync';
import { CallbackTokenCache, MissedDeliveries, WebhookQueue } from '../ingest';
import type { Config } from './config';
import type { Connector } from '../connectors';
import type { Logger } from './logging/logger';
import { StateStore } from '../linking';
import type { EnabledConnector, Services } from './services';
import { createKeys } from './redis/keys';
import type { RedisConnections } from './redis/connections';
import { createWebServices } from '../webservices';

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

export function buildServices(input: {
  config: Config;
  log: Logger;
  redis: Redis;
  connections: RedisConnections;
  connectors: ReadonlyMap<string, EnabledConnector>;
  now?: () => number;
  metrics?: Metrics;
}): Services {
  const { config, log, redis } = input;
  const keys = createKeys(config.keyPrefix);
  const now = input.now ?? Date.now;
  const tokens = new ProviderTokenStore(redis, keys, config.secretKeys);
  const metrics = input.metrics ?? new Metrics();
  // `services` is referenced lazily by the callbacks below; they run only after it exists.
  let services: Services | undefined;
  const onReauthRequired = async (installationId: string, reason: string, refusedTokens?: string): Promise<void> => {
    if (services) await markReauthRequired(services, installationId, reason, refusedTokens);
  };
  const refresher = new RefreshCoordinator({
    redis,
    keys,
    tokens,
    log,
    now,
    options: {
      timeoutMs: config.httpTimeoutMs,
      attempts: 3,
      lockTtlMs: config.refreshLockTtlMs,
      waitPollMs: 25,
    },
    onRefused: onReauthRequired,
    onOutcome: (outcome) => metrics.refreshes.inc({ outcome }),
  });
  const events = new EventLog(redis, keys, now);
  const queueError = (name: string) => (err: Error) => log.debug({ queue: name, reason: err.message }, 'queue connection error');
  const scheduler = new PollScheduler(redis, keys.bullPrefix, queueError('poll'));
  services = {
    config,
    log,
    redis,
    keys,
    connectors: input.connectors,
    installations: new InstallationStore(redis, keys),
    tokens,
    states: new StateStore(redis, keys, config.secretKeys),
    events,
    clients: new AuthorizedClients({
      tokens,
      refresher,
      log,
      now,
      timeoutMs: config.httpTimeoutMs,
      onReauthRequired,
      onCall: (connector, outcome) => metrics.cloudCalls.inc({ connector, outcome }),
      rates: new RateGate(redis, keys),
    }),
    metrics,
    devices: new DeviceStore(redis, keys, events),
    health: new HealthStore(redis, keys, events),
    scheduler,
    // WAIT's own timeout stays inside the enqueue deadline (and the command timeout), so a missing
    // replica is a 503 of ours, not a timed-out command.
    webhooks: new WebhookQueue(redis, keys.bullPrefix, queueError('webhook'), {
      replicas: config.redisAckReplicas,
      timeoutMs: Math.max(1, Math.floor(Math.min(config.webhookEnqueueTimeoutMs, config.redisCommandTimeoutMs) / 2)),
    }),
    webServices: createWebServices(redis, keys, config, queueError('smartapp-delivery')),
    revocations: new TokenRevocations(redis, keys.bullPrefix, config.tokenRevocation, queueError('token-revocation')),
    callbackTokens: new CallbackTokenCache(redis, `${keys.prefix}:callback-tokens:changed`, log, (options) =>
      input.connections.create('subscriber', options),
    ),
    missedDeliveries: new MissedDeliveries((id) => scheduler.pollNow(id, 'catch-up'), log),
    connections: input.connections,
    now,
  };
  return services;
}

import type { Redis } from 'ioredis';
import type { AuthorizedClients, ProviderTokenStore, TokenRevocations } from '../cloud';
import type { DeviceStore, EventLog, HealthStore, InstallationStore } from '../platform';
import type { Metrics } from './metrics/metrics';
import type { PollScheduler } from '../sync';
import type { CallbackTokenCache, MissedDeliveries, WebhookQueue } from '../ingest';
import type { Config, ConnectorCredentials } from './config';
import type { Connector } from '../connectors';
import type { Logger } from './logging/logger';
import type { StateStore } from '../linking';
import type { Keys } from './redis/keys';
import type { RedisConnections } from './redis/connections';
import type { WebServices } from '../webservices';

/** A connector that is enabled in this deployment: its definition plus its credentials. */
export interface EnabledConnector {
  definition: Connector;
  credentials: ConnectorCredentials;
}

/** Everything the host and workers share, built once in main (or a test) and passed down. */
export interface Services {
  config: Config;
  log: Logger;
  redis: Redis;
  keys: Keys;
  connectors: ReadonlyMap<string, EnabledConnector>;
  installations: InstallationStore;
  tokens: ProviderTokenStore;
  states: StateStore;
  events: EventLog;
  /** The authorized HTTP client factory: the only way to call a cloud. */
  clients: AuthorizedClients;
  devices: DeviceStore;
  /** Installation health (degraded, last success, last error), beside the sync cursor. */
  health: HealthStore;
  /** Producer side of the poll queue (schedules, immediate polls); workers run elsewhere. */
  scheduler: PollScheduler;
  /** Producer side of the webhook queue: the host enqueues, workers process. */
  webhooks: WebhookQueue;
  /** Producer side of the provider-token revocation queue (uninstall, best effort). */
  revocations: TokenRevocations;
  /** Callback-token lookups remembered by this process, dropped on every host when a token changes. */
  callbackTokens: CallbackTokenCache;
  /** Installations whose callbacks were refused while Redis was down; polled once it is back. */
  missedDeliveries: MissedDeliveries;
  metrics: Metrics;
  /** Web Services API: users, OAuth clients, app installations, grants, subscriptions, delivery queue. */
  webServices: WebServices;
  /** The one factory of Redis clients: BullMQ workers, blocking readers and subscribers get theirs here. */
  connections: RedisConnections;
  now: () => number;
}

/** Poll interval for a connector: POLL_INTERVAL_S when set, else the connector's own. */
export function pollIntervalMs(services: Services, connector: EnabledConnector): number {
  const override = services.config.pollIntervalS;
  return override === undefined ? connector.definition.poll.intervalMs : override * 1000;
}

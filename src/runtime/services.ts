import type { Redis } from 'ioredis';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Metrics } from './metrics/metrics';
import type { Sync } from '../sync';
import type { Ingest } from '../ingest';
import type { Config, ConnectorCredentials } from './config';
import type { Connector } from '../connectors';
import type { Logger } from './logging/logger';
import type { Linking } from '../linking';
import type { Keys } from './redis/keys';
import type { RedisConnections } from './redis/connections';
import type { WebServices } from '../webservices';

/** A connector that is enabled in this deployment: its definition plus its credentials. */
export interface EnabledConnector {
  definition: Connector;
  credentials: ConnectorCredentials;
}

/**
 * What is really shared, built once per process: each slice builds its own parts from it
 * (`buildPlatform(base, …)`, `buildCloud(base, …)`, … from the slice's index.ts).
 */
export interface Base {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** The shared command connection; only repositories use it. */
  redis: Redis;
  /** The key namespace (prefix, BullMQ prefix); each record family builds its names from it. */
  keys: Keys;
  /** The one factory of Redis clients: BullMQ workers, blocking readers and subscribers get theirs here. */
  connections: RedisConnections;
  /** The connectors enabled in this deployment, by name. */
  connectors: ReadonlyMap<string, EnabledConnector>;
  now: () => number;
}

/**
 * The composed process: the base plus every slice's parts. Only composition (runtime/main,
 * build-services, workers, http/app, demo) and tests hold it whole; a module declares the parts it
 * uses (`Pick<Services, …>` or a deps type of its own).
 */
export type Services = Base & Platform & Cloud & Sync & Ingest & Linking & { webServices: WebServices };

/** Poll interval for a connector: POLL_INTERVAL_S when set, else the connector's own. */
export function pollIntervalMs(services: Pick<Base, 'config'>, connector: EnabledConnector): number {
  const override = services.config.pollIntervalS;
  return override === undefined ? connector.definition.poll.intervalMs : override * 1000;
}

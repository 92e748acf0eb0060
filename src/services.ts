import type { Redis } from 'ioredis';
import type { Config, ConnectorCredentials } from './config/config';
import type { Connector } from './connectors/define-connector';
import type { Logger } from './logging/logger';
import type { StateStore } from './oauth/state-store';
import type { InstallationStore } from './store/installations';
import type { Keys } from './store/keys';
import type { TokenStore } from './store/tokens';

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
  tokens: TokenStore;
  states: StateStore;
  now: () => number;
}

import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import type { Connector } from '../connectors/define-connector';
import type { Logger } from '../logging/logger';
import { StateStore } from '../oauth/state-store';
import type { EnabledConnector, Services } from '../services';
import { InstallationStore } from '../store/installations';
import { createKeys } from '../store/keys';
import { TokenStore } from '../store/tokens';

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
  connectors: ReadonlyMap<string, EnabledConnector>;
  now?: () => number;
}): Services {
  const keys = createKeys(input.config.keyPrefix);
  return {
    config: input.config,
    log: input.log,
    redis: input.redis,
    keys,
    connectors: input.connectors,
    installations: new InstallationStore(input.redis, keys),
    tokens: new TokenStore(input.redis, keys, input.config.secretKey),
    states: new StateStore(input.redis, keys, input.config.secretKey),
    now: input.now ?? Date.now,
  };
}

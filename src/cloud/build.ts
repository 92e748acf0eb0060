import type { Base } from '../runtime';
import { AuthorizedClients } from './authorized-client';
import { ProviderTokenStore } from './provider-token-store';
import { RateGate } from './rate-gate';
import { RefreshCoordinator } from './refresh';
import { TokenRevocations } from './revocation';

/** Calling clouds: the provider tokens and the one authorized client factory. */
export interface Cloud {
  tokens: ProviderTokenStore;
  /** The authorized HTTP client factory: the only way to call a cloud. */
  clients: AuthorizedClients;
  /** Producer side of the provider-token revocation queue (uninstall, best effort). */
  revocations: TokenRevocations;
}

export interface CloudHooks {
  /** The grant is gone for good (refresh refused, or the cloud says so): platform marks the installation. */
  onReauthRequired: (installationId: string, reason: string, refusedTokens?: string) => Promise<void>;
  onQueueError: (err: Error) => void;
}

export function buildCloud(base: Pick<Base, 'config' | 'log' | 'metrics' | 'redis' | 'keys' | 'now'>, hooks: CloudHooks): Cloud {
  const { config, log, metrics, redis, keys, now } = base;
  const tokens = new ProviderTokenStore(redis, keys, config.secretKeys);
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
    onRefused: hooks.onReauthRequired,
    onOutcome: (outcome) => metrics.refreshes.inc({ outcome }),
  });
  return {
    tokens,
    clients: new AuthorizedClients({
      tokens,
      refresher,
      log,
      now,
      timeoutMs: config.httpTimeoutMs,
      onReauthRequired: hooks.onReauthRequired,
      onCall: (connector, outcome) => metrics.cloudCalls.inc({ connector, outcome }),
      rates: new RateGate(redis, keys),
    }),
    // One queue under the shared prefix, not one per partition: revocations are rare (an uninstall
    // each, per provider account), not the fleet's steady load that the partition queues spread.
    revocations: new TokenRevocations(redis, keys.bullPrefix, config.tokenRevocation, hooks.onQueueError),
  };
}

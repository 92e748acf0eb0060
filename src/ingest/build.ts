import type { Base } from '../runtime';
import type { Sync } from '../sync';
import { CallbackTokenCache } from './callback-token-cache';
import { MissedDeliveries } from './missed';
import { WebhookQueue } from './webhook-queue';

export interface Ingest {
  /** Producer side of the webhook queue: the host enqueues, workers process. */
  webhooks: WebhookQueue;
  /** Callback-token lookups remembered by this process, dropped on every host when a token changes. */
  callbackTokens: CallbackTokenCache;
  /** Installations whose callbacks were refused while Redis was down; polled once it is back. */
  missedDeliveries: MissedDeliveries;
}

export function buildIngest(
  base: Pick<Base, 'config' | 'log' | 'redis' | 'keys' | 'connections'>,
  sync: Sync,
  onQueueError: (err: Error) => void,
): Ingest {
  const { config, log, redis, keys } = base;
  return {
    // WAIT's own timeout stays inside the enqueue deadline (and the command timeout), so a missing
    // replica is a 503 of ours, not a timed-out command.
    webhooks: new WebhookQueue(redis, keys, onQueueError, {
      replicas: config.redisAckReplicas,
      timeoutMs: Math.max(1, Math.floor(Math.min(config.webhookEnqueueTimeoutMs, config.redisCommandTimeoutMs) / 2)),
    }),
    callbackTokens: new CallbackTokenCache(redis, keys, log, (options) =>
      base.connections.create('subscriber', options),
    ),
    missedDeliveries: new MissedDeliveries((id) => sync.scheduler.pollNow(id, 'catch-up'), log),
  };
}

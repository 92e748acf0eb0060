import type { Redis } from 'ioredis';
import type { Config, Keys } from '../runtime';
import { AppInstallationStore } from './app-installations';
import { AuthorizeSessionStore } from './authorize-session';
import { ClientStore } from './clients';
import { DeliveryQueue } from './delivery-queue';
import { DrainState } from './drain-state';
import { subscriptionKeys } from './subscription-keys';
import { GrantStore, migrateGrantSets } from './grant-store';
import { CLIENT_SECRET_LIMITS, LoginLimiter, DEFAULT_LOGIN_LIMITS } from './login-limiter';
import { AuthorizationSealer } from './pending-authorization';
import { migrateSubscriptionDrains, SubscriptionStore } from './event-subscriptions';
import { migrateSinkDrains, SinkStore } from './event-sinks';
import { SinkDeliveryQueue } from './sink-queue';
import { UserStore } from './users';

/** The Web Services API's stores and its delivery queue producer, built once with the other services. */
export interface WebServices {
  users: UserStore;
  clients: ClientStore;
  apps: AppInstallationStore;
  grants: GrantStore;
  sessions: AuthorizeSessionStore;
  /** The pending authorization request, sealed into the sign-in form (nothing stored before sign-in). */
  pending: AuthorizationSealer;
  /** End-user passwords: the sign-in form and app revocation with Basic share the counts. */
  logins: LoginLimiter;
  /** Client secrets at the token endpoint. */
  clientLogins: LoginLimiter;
  subscriptions: SubscriptionStore;
  drains: DrainState;
  deliveries: DeliveryQueue;
  /** Event sinks of the platform (pushed events, Standard Webhooks) and their ordered chains. */
  sinks: SinkStore;
  sinkDrains: DrainState;
  sinkDeliveries: SinkDeliveryQueue;
}

export function createWebServices(redis: Redis, keys: Keys, config: Config, onQueueError: (err: Error) => void): WebServices {
  const ws = keys;
  const lifetimes = config.webServices;
  const sinks = new SinkStore(redis, keys, config.secretKeys);
  return {
    users: new UserStore(redis, ws),
    clients: new ClientStore(redis, ws),
    apps: new AppInstallationStore(redis, ws),
    grants: new GrantStore(redis, ws, lifetimes),
    sessions: new AuthorizeSessionStore(redis, ws, config.stateTtlS),
    pending: new AuthorizationSealer(config.secretKey, config.stateTtlS),
    logins: new LoginLimiter(redis, ws, DEFAULT_LOGIN_LIMITS, 'user-'),
    clientLogins: new LoginLimiter(redis, ws, CLIENT_SECRET_LIMITS, 'client-'),
    subscriptions: new SubscriptionStore(redis, ws, config.secretKeys),
    drains: new DrainState(redis, subscriptionKeys(keys.prefix)),
    // Deliveries (per subscription) and sink deliveries (per sink) are not per installation: one
    // queue each under the shared prefix, where poll and webhook jobs are one queue per partition.
    deliveries: new DeliveryQueue(redis, keys.bullPrefix, { attempts: lifetimes.deliveryAttempts, backoffMs: lifetimes.deliveryBackoffMs }, onQueueError),
    sinks,
    sinkDrains: new DrainState(redis, sinks.keys),
    sinkDeliveries: new SinkDeliveryQueue(redis, keys.bullPrefix, config.eventSinks, onQueueError),
  };
}

/** The Web Services slice's parts, built from the shared base. */
export function buildWebServices(
  base: { redis: Redis; keys: Keys; config: Config },
  onQueueError: (err: Error) => void,
): { webServices: WebServices } {
  return { webServices: createWebServices(base.redis, base.keys, base.config, onQueueError) };
}

/** The layout-1 → 2 moves of both delivery families (subscriptions', event sinks'), for runtime/redis/layout.ts. */
export function deliveryStateMigrations(prefix: string): Array<(redis: Redis) => Promise<number>> {
  return [(redis) => migrateSubscriptionDrains(redis, prefix), (redis) => migrateSinkDrains(redis, prefix), (redis) => migrateGrantSets(redis, prefix)];
}

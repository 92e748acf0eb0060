import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import type { Keys } from '../store/keys';
import { AppInstallationStore } from './app-installations';
import { AuthorizeSessionStore } from './authorize-session';
import { ClientStore } from './clients';
import { DeliveryQueue } from './delivery-queue';
import { DrainState } from './drain-state';
import { GrantStore } from './grant-store';
import { LoginLimiter } from './login-limiter';
import { SubscriptionStore } from './subscriptions';
import { UserStore } from './users';

/** The Web Services API's stores and its delivery queue producer, built once with the other services. */
export interface WebServices {
  users: UserStore;
  clients: ClientStore;
  apps: AppInstallationStore;
  grants: GrantStore;
  sessions: AuthorizeSessionStore;
  logins: LoginLimiter;
  subscriptions: SubscriptionStore;
  drains: DrainState;
  deliveries: DeliveryQueue;
}

export function createWebServices(redis: Redis, keys: Keys, config: Config, onQueueError: (err: Error) => void): WebServices {
  const ws = keys.ws;
  const lifetimes = config.webServices;
  return {
    users: new UserStore(redis, ws),
    clients: new ClientStore(redis, ws),
    apps: new AppInstallationStore(redis, ws),
    grants: new GrantStore(redis, ws, lifetimes),
    sessions: new AuthorizeSessionStore(redis, ws, config.stateTtlS),
    logins: new LoginLimiter(redis, ws),
    subscriptions: new SubscriptionStore(redis, ws, config.secretKey),
    drains: new DrainState(redis, ws),
    deliveries: new DeliveryQueue(redis, keys.bullPrefix, { attempts: lifetimes.deliveryAttempts, backoffMs: lifetimes.deliveryBackoffMs }, onQueueError),
  };
}

import type { EventType } from '../platform';
import type { AppInstallation } from './app-installations';
import { uninstallBody } from './delivery-payloads';
import type { Subscription } from './event-subscriptions';
import type { ClientRecord } from './clients';
import type { User } from './users';
import type { Base } from '../runtime';
import type { WebServices } from './web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'log' | 'now'> & { webServices: WebServices };

/** Creates a pending subscription and queues its CONFIRMATION (built when sent); events flow only once the target confirms. */
export async function subscribe(
  services: Deps,
  app: AppInstallation,
  input: { targetUrl: string; events: EventType[] },
): Promise<{ subscription: Subscription; secret: string }> {
  const { subscriptions, deliveries } = services.webServices;
  const created = await subscriptions.create({ appId: app.id, ...input }, new Date(services.now()));
  await deliveries.confirmation(created.subscription.id);
  return created;
}

/**
 * The user (or an admin) takes the access back: every token of the app stops working, every
 * subscription is deleted (queued events with it) after an UNINSTALL is queued to its target, and
 * the app installation is gone. Each step runs even if another fails; the record goes last so a
 * failed revocation can be retried.
 */
export async function revokeApp(services: Deps, app: AppInstallation): Promise<boolean> {
  const { grants, subscriptions, deliveries, apps } = services.webServices;
  await grants.revokeApp(app.id);
  const failures: unknown[] = [];
  for (const sub of await subscriptions.listForApp(app.id)) {
    try {
      const withSecret = await subscriptions.withSecret(sub.id);
      // Queued before the subscription goes, so a failure here leaves it for a retried revocation.
      // Only a target that confirmed ever agreed to hear from us.
      if (withSecret && sub.status === 'confirmed') {
        const sealedSecret = subscriptions.sealSecret(sub.id, withSecret.secret);
        await deliveries.lifecycle({ kind: 'lifecycle', subscriptionId: sub.id, targetUrl: sub.targetUrl, sealedSecret, body: uninstallBody(app.id), requireSubscription: false });
      }
      await subscriptions.delete(sub);
    } catch (err) {
      failures.push(err);
      services.log.warn({ appId: app.id, subscriptionId: sub.id, reason: (err as Error).message }, 'revocation step failed');
    }
  }
  if (failures.length > 0) throw failures[0];
  return apps.delete(app);
}

/**
 * An account goes: every app it granted is revoked first (tokens, subscriptions, with their
 * UNINSTALL lifecycle), then the record and its username. A failed revocation leaves the account,
 * so the delete can be retried.
 */
export async function deleteUser(services: Deps, user: User): Promise<boolean> {
  const { apps, users } = services.webServices;
  for (const app of await apps.forUser(user.id)) await revokeApp(services, app);
  return users.delete(user);
}

/** A client goes: every app it was granted is revoked, then the client (its secret stops working). */
export async function deleteClient(services: Deps, client: ClientRecord): Promise<boolean> {
  const { apps, clients } = services.webServices;
  for (const app of await apps.forClient(client.clientId)) await revokeApp(services, app);
  return clients.delete(client);
}

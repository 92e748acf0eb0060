import type { PlatformEvent } from '../platform';
import type { Subscription } from './event-subscriptions';

export function confirmationUrl(publicUrl: string, subscriptionId: string, token: string): string {
  return `${publicUrl}/api/smartapps/subscriptions/${subscriptionId}/confirm?token=${encodeURIComponent(token)}`;
}

/** The lifecycle bodies POSTed to a subscription target (SmartThings' webhook lifecycles). */
export function confirmationBody(appId: string, confirmationUrl: string): string {
  return JSON.stringify({ lifecycle: 'CONFIRMATION', confirmationData: { appId, confirmationUrl } });
}

export function uninstallBody(appId: string): string {
  return JSON.stringify({ lifecycle: 'UNINSTALL', uninstallData: { appId } });
}

export function eventBody(input: { appId: string; locationId: string; subscriptionId: string; event: PlatformEvent }): string {
  const { event } = input;
  return JSON.stringify({
    lifecycle: 'EVENT',
    eventData: {
      appId: input.appId,
      subscriptionId: input.subscriptionId,
      events: [
        {
          eventId: event.id,
          eventType: event.type,
          deviceId: event.deviceId,
          locationId: input.locationId,
          at: event.at,
          data: event.data,
        },
      ],
    },
  });
}

/** One event bound for one subscription, queued behind the earlier events of the same device. */
export interface RoutedDelivery {
  subscriptionId: string;
  deviceId: string;
  body: string;
}

/** Who gets a device event: confirmed subscriptions of apps granted that device, that asked for its type. */
export function routeEvent(
  event: PlatformEvent,
  apps: readonly { id: string; locationId: string; grantedDeviceIds: readonly string[]; subscriptions: readonly Subscription[] }[],
): RoutedDelivery[] {
  const deviceId = event.deviceId;
  if (!deviceId || !event.type.startsWith('device.')) return [];
  const out: RoutedDelivery[] = [];
  for (const app of apps) {
    if (!app.grantedDeviceIds.includes(deviceId)) continue;
    for (const sub of app.subscriptions) {
      if (sub.status !== 'confirmed' || !sub.events.includes(event.type)) continue;
      out.push({ subscriptionId: sub.id, deviceId, body: eventBody({ appId: app.id, locationId: app.locationId, subscriptionId: sub.id, event }) });
    }
  }
  return out;
}

/** Exponential backoff for the n-th retry (1-based), as BullMQ's built-in strategy computes it. */
export function backoffMs(baseMs: number, attemptsMade: number): number {
  return Math.round(baseMs * 2 ** Math.max(0, attemptsMade - 1));
}

/** Pure: when the (first) event of an EVENT body happened, in epoch ms; undefined if it has none. */
export function eventTimeOf(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { eventData?: { events?: Array<{ at?: unknown }> } };
    const at = parsed.eventData?.events?.[0]?.at;
    const ms = typeof at === 'string' ? Date.parse(at) : NaN;
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

import type { PlatformEvent } from '../platform';
import type { RoutedDelivery } from './delivery-payloads';
import { chainOf, type EventSink } from './event-sinks';

/** What waits in a sink's chain: the Standard Webhooks message id (stable across retries) and the body. */
export interface QueuedMessage {
  id: string;
  body: string;
}

/** Pure: the body POSTed to a sink (the contract's `{type, timestamp, data:{installationId,…}}`). */
export function sinkBody(event: PlatformEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.at,
    data: { ...event.data, installationId: event.installationId, ...(event.deviceId ? { deviceId: event.deviceId } : {}) },
  });
}

/** Pure: the message id receivers deduplicate on; the stream entry id is unique per event. */
export const messageIdOf = (event: PlatformEvent): string => `msg_${event.id.replace(/[-.]/g, '_')}`;

/** Pure: which sinks get the event (by type and connector), each queued on the installation's chain. */
export function routeToSinks(event: PlatformEvent, connector: string | undefined, sinks: readonly EventSink[]): RoutedDelivery[] {
  const out: RoutedDelivery[] = [];
  let queued: string | undefined;
  for (const sink of sinks) {
    if (sink.types !== null && !sink.types.includes(event.type)) continue;
    // An event whose connector is no longer known reaches only the sinks that take every connector.
    if (sink.connectors !== null && (connector === undefined || !sink.connectors.includes(connector))) continue;
    queued ??= JSON.stringify({ id: messageIdOf(event), body: sinkBody(event) } satisfies QueuedMessage);
    out.push({ subscriptionId: sink.id, deviceId: chainOf(event.installationId), body: queued });
  }
  return out;
}

export function parseQueued(raw: string): QueuedMessage | undefined {
  try {
    const v = JSON.parse(raw) as Partial<QueuedMessage>;
    return typeof v.id === 'string' && typeof v.body === 'string' ? { id: v.id, body: v.body } : undefined;
  } catch {
    return undefined;
  }
}

/** Pure: when the event of a sink body happened (epoch ms), for the delivery-lag figures. */
export function sinkEventTime(body: string): number | undefined {
  try {
    const ms = Date.parse(String((JSON.parse(body) as { timestamp?: unknown }).timestamp));
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

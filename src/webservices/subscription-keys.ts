/**
 * Key names of event subscriptions and their delivery state. Two repositories share this family on
 * purpose: event-subscriptions.ts (the subscriptions, and removing their delivery state with them)
 * and drain-state.ts (the fan-out cursor, pending lists, drain markers), because a subscription's
 * removal must clear its delivery keys in the same transaction.
 */
export function subscriptionKeys(prefix: string) {
  const p = prefix;
  return {
    subscription: (id: string) => `${p}:ws:sub:${id}`,
    /** Listing index of every app's subscriptions (see SortedIndex), its backfill marker, and what the backfill scans. */
    subscriptionsIndex: () => `${p}:ws:index:subs`,
    subscriptionsIndexBackfilled: () => `${p}:ws:index:subs:backfilled`,
    subscriptionPattern: () => `${p}:ws:sub:*`,
    appSubscriptions: (appId: string) => `${p}:ws:app:${appId}:subs`,
    deliveryList: (subscriptionId: string, deviceId: string) => `${p}:ws:sub:${subscriptionId}:pending:${deviceId}`,
    deliveryMarker: (subscriptionId: string, deviceId: string) => `${p}:ws:sub:${subscriptionId}:drain:${deviceId}`,
    deliveryGeneration: () => `${p}:ws:drain-generation`,
    activeDrains: () => `${p}:ws:drains`,
    deliveryFailed: (subscriptionId: string) => `${p}:ws:sub:${subscriptionId}:failed`,
    fanoutCursor: () => `${p}:ws:fanout-cursor`,
  };
}

export type SubscriptionKeys = ReturnType<typeof subscriptionKeys>;

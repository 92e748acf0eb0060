/**
 * Key names of event subscriptions and their delivery state. Two repositories share this family on
 * purpose: event-subscriptions.ts (the subscriptions, and removing their delivery state with them)
 * and drain-state.ts (the fan-out cursor, pending lists, drain markers), because a subscription's
 * removal must clear its delivery keys in the same transaction.
 */
export function subscriptionKeys(prefix: string) {
  const p = prefix;
  /**
   * The fan-out's delivery state (cursor, pending lists, drain markers, generation, active set) is
   * advanced by one script, so it shares one Cluster hash tag: one slot for the whole family.
   */
  const drain = `${p}:{${p}:ws:drain}`;
  return {
    subscription: (id: string) => `${p}:ws:sub:${id}`,
    /** Listing index of every app's subscriptions (see SortedIndex), its backfill marker, and what the backfill scans. */
    subscriptionsIndex: () => `${p}:ws:index:subs`,
    subscriptionsIndexBackfilled: () => `${p}:ws:index:subs:backfilled`,
    subscriptionPattern: () => `${p}:ws:sub:*`,
    appSubscriptions: (appId: string) => `${p}:ws:app:${appId}:subs`,
    deliveryList: (subscriptionId: string, deviceId: string) => `${drain}:sub:${subscriptionId}:pending:${deviceId}`,
    deliveryMarker: (subscriptionId: string, deviceId: string) => `${drain}:sub:${subscriptionId}:drain:${deviceId}`,
    deliveryGeneration: () => `${drain}:drain-generation`,
    activeDrains: () => `${drain}:drains`,
    deliveryFailed: (subscriptionId: string) => `${p}:ws:sub:${subscriptionId}:failed`,
    fanoutCursor: () => `${drain}:fanout-cursor`,
    /** Layout 1's names of the same keys, for the migration at start (drain-migration.ts). */
    layout1: {
      fixed: [
        [`${p}:ws:drain-generation`, `${drain}:drain-generation`],
        [`${p}:ws:drains`, `${drain}:drains`],
        [`${p}:ws:fanout-cursor`, `${drain}:fanout-cursor`],
      ] as Array<[string, string]>,
      /** SCAN patterns of per-pair keys, and where a matched key moves. */
      patterns: [`${p}:ws:sub:*:pending:*`, `${p}:ws:sub:*:drain:*`],
      moved: (key: string) => `${drain}:${key.slice(`${p}:ws:`.length)}`,
    },
  };
}

export type SubscriptionKeys = ReturnType<typeof subscriptionKeys>;

import type { Keys } from '../runtime';
/** Key names of webhook subscription records: per-account indexes and stats (webhook-records.ts only). */
export function webhookRecordKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    webhookStats: (id: string) => `${at(id)}:inst:${id}:webhooks:stats`,
    /** Installations linked to one cloud account (hashed), for clouds with one webhook per account. */
    accountInstallations: (connector: string, accountHash: string) => `${p}:account:${connector}:${accountHash}:installations`,
    /** The installation whose callback URL is registered for that account. */
    accountSubscriber: (connector: string, accountHash: string) => `${p}:account:${connector}:${accountHash}:subscriber`,
  };
}

export type WebhookRecordKeys = ReturnType<typeof webhookRecordKeys>;

/** Key names of webhook subscription records: per-account indexes and stats (webhook-records.ts only). */
export function webhookRecordKeys(prefix: string) {
  const p = prefix;
  return {
    webhookStats: (id: string) => `${p}:inst:${id}:webhooks:stats`,
    /** Installations linked to one cloud account (hashed), for clouds with one webhook per account. */
    accountInstallations: (connector: string, accountHash: string) => `${p}:account:${connector}:${accountHash}:installations`,
    /** The installation whose callback URL is registered for that account. */
    accountSubscriber: (connector: string, accountHash: string) => `${p}:account:${connector}:${accountHash}:subscriber`,
  };
}

export type WebhookRecordKeys = ReturnType<typeof webhookRecordKeys>;

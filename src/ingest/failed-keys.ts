/** Key name of an installation's failed webhook deliveries (failed-store.ts only). */
export function failedKeys(prefix: string) {
  const p = prefix;
  return {
    webhookFailed: (id: string) => `${p}:inst:${id}:webhooks:failed`,
  };
}

export type FailedKeys = ReturnType<typeof failedKeys>;

import type { Keys } from '../runtime';
/** Key name of an installation's failed webhook deliveries (failed-store.ts only). */
export function failedKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    webhookFailed: (id: string) => `${at(id)}:inst:${id}:webhooks:failed`,
  };
}

export type FailedKeys = ReturnType<typeof failedKeys>;

import type { Keys } from '../runtime';
/** Key names of webhook dedup and batch progress (batch-ledger.ts only). */
export function batchKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    webhookDedup: (id: string) => `${at(id)}:inst:${id}:webhooks:dedup`,
    /** Which callbacks of one batched webhook job were applied, so a retry applies only the rest. */
    webhookBatchDone: (jobId: string) => `${p}:webhooks:batch:${jobId}:done`,
  };
}

export type BatchKeys = ReturnType<typeof batchKeys>;

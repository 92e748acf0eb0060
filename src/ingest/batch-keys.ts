/** Key names of webhook dedup and batch progress (batch-ledger.ts only). */
export function batchKeys(prefix: string) {
  const p = prefix;
  return {
    webhookDedup: (id: string) => `${p}:inst:${id}:webhooks:dedup`,
    /** Which callbacks of one batched webhook job were applied, so a retry applies only the rest. */
    webhookBatchDone: (jobId: string) => `${p}:webhooks:batch:${jobId}:done`,
  };
}

export type BatchKeys = ReturnType<typeof batchKeys>;

import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { PartitionedQueue, ReplicasNotConfirmedError, type Keys } from '../runtime';

export const WEBHOOK_QUEUE = 'webhook';

/** One acknowledged callback, as the ingest endpoint received it. */
export const webhookCallbackSchema = z.object({
  installationId: z.string().min(1),
  connector: z.string().min(1),
  /** The raw body as received (UTF-8 JSON text); parsed in the worker. */
  body: z.string(),
  receivedAt: z.number(),
});
export type WebhookCallback = z.infer<typeof webhookCallbackSchema>;

/**
 * The callbacks acknowledged together (those that arrived in one event-loop turn), in arrival
 * order. One job per batch rather than per callback: BullMQ's add costs tens of µs of host CPU per
 * job, whatever its size, which was most of the ingest cost.
 */
export const webhookBatchSchema = z.object({ callbacks: z.array(webhookCallbackSchema).min(1) });
export type WebhookBatch = z.infer<typeof webhookBatchSchema>;

/** A batch, or a single callback (how jobs were queued before batching; still accepted). */
export const webhookJobSchema = z.union([webhookBatchSchema, webhookCallbackSchema]);
export type WebhookJob = WebhookBatch | WebhookCallback;

export const callbacksOf = (job: WebhookJob): WebhookCallback[] => ('callbacks' in job ? job.callbacks : [job]);

/** Acknowledged deliveries must not be lost: retry transient failures for a long while. */
export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
};

/** The callbacks of one job must belong to one partition: the job goes to that partition's queue. */
export class MixedPartitionsError extends Error {
  constructor() {
    super('the callbacks of one webhook job must belong to installations of one partition');
    this.name = 'MixedPartitionsError';
  }
}

export class WebhookQueue {
  /** One `webhook` queue per partition (a batch goes to its installations' partition's), and the legacy single one. */
  readonly queue: PartitionedQueue<WebhookJob>;

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
    onError: (err: Error) => void = () => undefined,
    /** REDIS_ACK_REPLICAS: replicas that must hold a job before enqueue resolves (0: the primary alone). */
    private readonly durability: { replicas: number; timeoutMs: number } = { replicas: 0, timeoutMs: 0 },
  ) {
    this.queue = new PartitionedQueue<WebhookJob>(WEBHOOK_QUEUE, connection, keys, { defaultJobOptions: WEBHOOK_JOB_OPTIONS }, onError);
  }

  /** The partition of an installation's callbacks (ingest batches callbacks per partition). */
  partitionOf(installationId: string): number {
    return this.keys.partitions.of(installationId);
  }

  /**
   * Queues the callbacks, all of one partition, as one job in that partition's queue. Resolves
   * only once the job is in Redis (and, with REDIS_ACK_REPLICAS, on that many replicas of the
   * primary holding the queue): the caller may acknowledge every one of them after this, never
   * before; a rejection means none is acknowledged.
   */
  async enqueue(callbacks: readonly WebhookCallback[]): Promise<void> {
    const first = callbacks[0];
    if (first === undefined) return;
    const k = this.partitionOf(first.installationId);
    if (callbacks.some((c) => this.partitionOf(c.installationId) !== k)) throw new MixedPartitionsError();
    const queue = this.queue.at(k);
    await queue.add('webhook', { callbacks: [...callbacks] });
    const { replicas, timeoutMs } = this.durability;
    if (replicas > 0) {
      // Replication is asynchronous: a primary that dies before its replicas have the job takes
      // it along, and the promoted replica never saw it. WAIT counts the replicas that have every
      // write this connection sent to that primary so far, the add included (the Queue uses this
      // very client). On a Cluster a keyless WAIT would go to any primary: in a pipeline with a
      // read of the queue's own key it goes to the primary of the queue's slot. It blocks that
      // connection for up to timeoutMs; replicas normally answer within a millisecond.
      const replies = await this.connection.pipeline().exists(queue.toKey('id')).wait(replicas, timeoutMs).exec();
      const [err, confirmed] = replies?.[1] ?? [new Error('WAIT: no reply'), 0];
      if (err) throw err;
      if (Number(confirmed) < replicas) throw new ReplicasNotConfirmedError(replicas, Number(confirmed));
    }
  }

  /**
   * Removes the jobs that hold only this installation's callbacks, from its partition's queue and
   * the legacy single one. A batch that also holds other installations' stays; the worker skips
   * the callbacks of an installation that no longer exists.
   */
  async purge(installationId: string): Promise<void> {
    for (const queue of [this.queue.of(installationId), this.queue.legacy]) await purgeFrom(queue, installationId);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

async function purgeFrom(queue: Queue<WebhookJob>, installationId: string): Promise<void> {
  for (const state of ['waiting', 'delayed', 'prioritized', 'failed', 'completed'] as const) {
    for (let start = 0; ; start += 500) {
      const jobs = await queue.getJobs([state], start, start + 499, true);
      if (jobs.length === 0) break;
      let removed = 0;
      for (const job of jobs) {
        const data = webhookJobSchema.safeParse(job?.data);
        if (job && data.success && callbacksOf(data.data).every((c) => c.installationId === installationId)) {
          await job.remove().catch(() => undefined);
          removed++;
        }
      }
      start -= removed;
      if (jobs.length < 500) break;
    }
  }
}

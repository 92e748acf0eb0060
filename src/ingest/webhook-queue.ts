import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

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

export class WebhookQueue {
  readonly queue: Queue<WebhookJob>;

  constructor(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined) {
    this.queue = new Queue<WebhookJob>(WEBHOOK_QUEUE, { connection, prefix, defaultJobOptions: WEBHOOK_JOB_OPTIONS });
    this.queue.on('error', onError);
  }

  /**
   * Queues the callbacks as one job. Resolves only once the job is in Redis: the caller may
   * acknowledge every one of them after this, never before; a rejection means none is queued.
   */
  async enqueue(callbacks: readonly WebhookCallback[]): Promise<void> {
    if (callbacks.length === 0) return;
    await this.queue.add('webhook', { callbacks: [...callbacks] });
  }

  /**
   * Removes the jobs that hold only this installation's callbacks. A batch that also holds other
   * installations' stays; the worker skips the callbacks of an installation that no longer exists.
   */
  async purge(installationId: string): Promise<void> {
    for (const state of ['waiting', 'delayed', 'prioritized', 'failed', 'completed'] as const) {
      for (let start = 0; ; start += 500) {
        const jobs = await this.queue.getJobs([state], start, start + 499, true);
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

  async close(): Promise<void> {
    await this.queue.close();
  }
}

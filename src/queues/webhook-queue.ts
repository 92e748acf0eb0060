import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const WEBHOOK_QUEUE = 'webhook';

export const webhookJobSchema = z.object({
  installationId: z.string().min(1),
  connector: z.string().min(1),
  /** The raw body as received (UTF-8 JSON text); parsed in the worker. */
  body: z.string(),
  receivedAt: z.number(),
});
export type WebhookJob = z.infer<typeof webhookJobSchema>;

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

  /** Resolves only once the job is in Redis: the caller may acknowledge after this, never before. */
  async enqueue(job: WebhookJob): Promise<void> {
    await this.queue.add('webhook', job);
  }

  async purge(installationId: string): Promise<void> {
    for (const state of ['waiting', 'delayed', 'prioritized', 'failed', 'completed'] as const) {
      for (let start = 0; ; start += 500) {
        const jobs = await this.queue.getJobs([state], start, start + 499, true);
        if (jobs.length === 0) break;
        let removed = 0;
        for (const job of jobs) {
          if (job?.data?.installationId === installationId) {
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

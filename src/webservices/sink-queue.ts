import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const SINK_QUEUE = 'event-sink-delivery';

/** Delivers the queued events of one (event sink, installation chain) in order; `generation` makes the job id unique per run. */
export const sinkJobSchema = z.object({
  sinkId: z.string(),
  chain: z.string(),
  generation: z.number().int(),
});
export type SinkJob = z.infer<typeof sinkJobSchema>;

/**
 * The producer side of event-sink delivery. A queue of its own (not the subscriptions'): sinks
 * have their own attempts and backoff, and their jobs stay visible per queue in the dashboard.
 * Jobs live in Redis, so chains survive restarts.
 */
export class SinkDeliveryQueue {
  readonly queue: Queue<SinkJob>;

  constructor(connection: Redis, prefix: string, retry: { attempts: number; backoffMs: number }, onError: (err: Error) => void = () => undefined) {
    const options: JobsOptions = {
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      removeOnComplete: { count: 1_000 },
      removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
    };
    this.queue = new Queue<SinkJob>(SINK_QUEUE, { connection, prefix, defaultJobOptions: options });
    this.queue.on('error', onError);
  }

  /** Idempotent per generation: a failed job of it is retried, an existing one is left alone. */
  async drain(sinkId: string, chain: string, generation: number): Promise<void> {
    const jobId = `sink-${sinkId}-${chain}-${generation}`;
    const existing = await this.queue.getJob(jobId);
    if (existing && (await existing.isFailed())) {
      await existing.retry();
      return;
    }
    await this.queue.add('sink', { sinkId, chain, generation }, { jobId });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const DELIVERY_QUEUE = 'smartapp-delivery';

export const deliveryJobSchema = z.discriminatedUnion('kind', [
  /**
   * A subscription's CONFIRMATION. Carries no credential: the worker reads the signing secret from
   * the subscription and derives the confirmation token when it builds the body, so job data (kept
   * in Redis after completion or failure) never holds either.
   */
  z.object({
    kind: z.literal('confirmation'),
    subscriptionId: z.string(),
  }),
  /**
   * One lifecycle POST whose body holds no credential (UNINSTALL; CONFIRMATIONs queued before the
   * `confirmation` kind existed). The subscription is gone by the time an UNINSTALL is sent, so
   * its signing secret travels sealed (AES-GCM under SECRET_KEY), never in clear.
   */
  z.object({
    kind: z.literal('lifecycle'),
    subscriptionId: z.string(),
    targetUrl: z.string(),
    sealedSecret: z.string(),
    body: z.string(),
    /** CONFIRMATION is pointless once the subscription is gone; UNINSTALL is sent regardless. */
    requireSubscription: z.boolean(),
  }),
  /** Delivers the queued events of one (subscription, device) pair in order; `generation` makes the job id unique per run. */
  z.object({
    kind: z.literal('drain'),
    subscriptionId: z.string(),
    deviceId: z.string(),
    generation: z.number().int(),
  }),
]);
export type DeliveryJob = z.infer<typeof deliveryJobSchema>;

export function drainJobId(subscriptionId: string, deviceId: string, generation: number): string {
  return `drain-${subscriptionId}-${deviceId}-${generation}`;
}

export class DeliveryQueue {
  readonly queue: Queue<DeliveryJob>;
  private readonly options: JobsOptions;

  constructor(connection: Redis, prefix: string, retry: { attempts: number; backoffMs: number }, onError: (err: Error) => void = () => undefined) {
    this.options = {
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      removeOnComplete: { count: 1_000 },
      removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
    };
    this.queue = new Queue<DeliveryJob>(DELIVERY_QUEUE, { connection, prefix, defaultJobOptions: this.options });
    this.queue.on('error', onError);
  }

  async lifecycle(job: Extract<DeliveryJob, { kind: 'lifecycle' }>): Promise<void> {
    await this.queue.add('lifecycle', job);
  }

  async confirmation(subscriptionId: string): Promise<void> {
    await this.queue.add('confirmation', { kind: 'confirmation', subscriptionId });
  }

  /** Idempotent: BullMQ ignores an add whose job id already exists (waiting, active or kept as completed). */
  async drain(subscriptionId: string, deviceId: string, generation: number): Promise<void> {
    const jobId = drainJobId(subscriptionId, deviceId, generation);
    const existing = await this.queue.getJob(jobId);
    if (existing && (await existing.isFailed())) {
      await existing.retry();
      return;
    }
    await this.queue.add('drain', { kind: 'drain', subscriptionId, deviceId, generation }, { jobId });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

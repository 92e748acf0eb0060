import { Worker } from 'bullmq';
import { POLL_QUEUE, type PollJob } from '../queues/poll-queue';
import { WEBHOOK_QUEUE, type WebhookJob } from '../queues/webhook-queue';
import type { Services } from '../services';
import { pollProcessor } from '../workers/poll';
import { webhookProcessor } from '../workers/webhook';
import { DELIVERY_QUEUE, type DeliveryJob } from '../webservices/delivery-queue';
import { deliveryProcessor } from '../webservices/delivery-worker';
import { EventFanout } from '../webservices/fanout';

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts this process's BullMQ workers. Each gets its own blocking connection, as BullMQ requires. */
export interface WorkerOptions {
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, and how often stalled jobs are looked for: a
   * crashed worker's active jobs go back to the queue within about their sum. BullMQ's defaults
   * (30 s each) when unset; fault tests shorten them.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export function startWorkers(services: Services, options: WorkerOptions = {}): RunningWorkers {
  const connection = { url: services.redisUrl, maxRetriesPerRequest: null };
  const recovery = {
    ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
  };
  const poll = new Worker<PollJob>(POLL_QUEUE, pollProcessor(services), {
    connection,
    ...recovery,
    prefix: services.keys.bullPrefix,
    concurrency: options.concurrency ?? 16,
  });
  poll.on('error', (err) => services.log.warn({ reason: err.message }, 'poll worker error'));
  const webhook = new Worker<WebhookJob>(WEBHOOK_QUEUE, webhookProcessor(services), {
    connection,
    ...recovery,
    prefix: services.keys.bullPrefix,
    concurrency: options.concurrency ?? 16,
  });
  webhook.on('error', (err) => services.log.warn({ reason: err.message }, 'webhook worker error'));
  const delivery = new Worker<DeliveryJob>(DELIVERY_QUEUE, deliveryProcessor(services), {
    connection,
    ...recovery,
    prefix: services.keys.bullPrefix,
    concurrency: options.concurrency ?? 16,
  });
  delivery.on('error', (err) => services.log.warn({ reason: err.message }, 'delivery worker error'));
  const fanout = new EventFanout(services);
  fanout.start();
  for (const worker of [poll, webhook, delivery]) {
    worker.on('completed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'completed' }));
    worker.on('failed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'failed' }));
  }
  return {
    close: async () => {
      await fanout.stop();
      await Promise.all([poll.close(), webhook.close(), delivery.close()]);
    },
  };
}

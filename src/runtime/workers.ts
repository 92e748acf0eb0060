import { Worker } from 'bullmq';
import { POLL_QUEUE, type PollJob } from '../queues/poll-queue';
import { WEBHOOK_QUEUE, type WebhookJob } from '../queues/webhook-queue';
import type { Services } from '../services';
import { pollProcessor } from '../workers/poll';
import { webhookProcessor } from '../workers/webhook';

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts this process's BullMQ workers. Each gets its own blocking connection, as BullMQ requires. */
export function startWorkers(services: Services, options: { concurrency?: number } = {}): RunningWorkers {
  const connection = { url: services.redisUrl, maxRetriesPerRequest: null };
  const poll = new Worker<PollJob>(POLL_QUEUE, pollProcessor(services), {
    connection,
    prefix: services.keys.bullPrefix,
    concurrency: options.concurrency ?? 16,
  });
  poll.on('error', (err) => services.log.warn({ reason: err.message }, 'poll worker error'));
  const webhook = new Worker<WebhookJob>(WEBHOOK_QUEUE, webhookProcessor(services), {
    connection,
    prefix: services.keys.bullPrefix,
    concurrency: options.concurrency ?? 16,
  });
  webhook.on('error', (err) => services.log.warn({ reason: err.message }, 'webhook worker error'));
  for (const worker of [poll, webhook]) {
    worker.on('completed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'completed' }));
    worker.on('failed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'failed' }));
  }
  return {
    close: async () => {
      await Promise.all([poll.close(), webhook.close()]);
    },
  };
}

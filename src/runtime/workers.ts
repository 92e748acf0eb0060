import { Worker } from 'bullmq';
import { POLL_QUEUE, type PollJob } from '../queues/poll-queue';
import type { Services } from '../services';
import { pollProcessor } from '../workers/poll';

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
  return {
    close: async () => {
      await poll.close();
    },
  };
}

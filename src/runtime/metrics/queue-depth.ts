import type { Queue } from 'bullmq';
import type { Services } from '../services';

/**
 * Every BullMQ queue this deployment runs, in one place: the /metrics scrape and the queue
 * dashboard both read this list, so a new queue added to the services shows up in both.
 */
export function serviceQueues(services: Services): Queue[] {
  return [services.scheduler.queue, services.webhooks.queue, services.revocations.queue, services.webServices.sinkDeliveries.queue] as Queue[];
}

/** Reads every queue's job counts into the depth gauge; a queue that cannot be read keeps its last value. */
export async function refreshQueueDepth(services: Services): Promise<void> {
  await Promise.all(
    serviceQueues(services).map(async (queue) => {
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        for (const [state, n] of Object.entries(counts)) services.metrics.queueDepth.set({ queue: queue.name, state }, n);
      } catch {
        // Redis down: the scrape still answers with what this process knows.
      }
    }),
  );
}

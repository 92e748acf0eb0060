import type { Queue } from 'bullmq';
import type { Base } from '../services';

/** The producers whose queues are measured (sync's poll scheduler, ingest's webhook queue, cloud's token revocations, the event sinks' deliveries), by shape: runtime names no slice. */
export interface QueueOwners {
  scheduler: { readonly queue: object };
  webhooks: { readonly queue: object };
  revocations: { readonly queue: object };
  webServices: { readonly sinkDeliveries: { readonly queue: object } };
}

/**
 * Every BullMQ queue this deployment runs, in one place: the /metrics scrape and the queue
 * dashboard both read this list, so a new queue added to the services shows up in both.
 */
export function serviceQueues(services: QueueOwners): Queue[] {
  return [services.scheduler.queue, services.webhooks.queue, services.revocations.queue, services.webServices.sinkDeliveries.queue] as Queue[];
}

/** Reads every queue's job counts into the depth gauge; a queue that cannot be read keeps its last value. */
export async function refreshQueueDepth(services: QueueOwners & Pick<Base, 'metrics'>): Promise<void> {
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

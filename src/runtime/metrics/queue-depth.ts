import type { Queue } from 'bullmq';
import { partitionQueueLabel } from '../queues/partitioned-queue';
import type { Base } from '../services';

/** A queue name kept as one queue per partition (queues/partitioned-queue.ts), by shape. */
interface Partitioned {
  readonly partitions: readonly object[];
  readonly legacy: object;
}

/** The producers whose queues are measured (sync's poll scheduler, ingest's webhook queue, cloud's token revocations, the event sinks' deliveries), by shape: runtime names no slice. */
export interface QueueOwners {
  scheduler: { readonly queue: Partitioned };
  webhooks: { readonly queue: Partitioned };
  revocations: { readonly queue: object };
  webServices: { readonly sinkDeliveries: { readonly queue: object } };
}

/** One BullMQ queue as observers list it: partition queues share their name, so `label` tells them apart (`poll p3`). */
export interface ServiceQueue {
  queue: Queue;
  /** Unique per queue: `poll p3`, `poll (single)` for the legacy single queue, or the queue's name. */
  label: string;
  /** The partition, for partition queues. */
  partition?: number;
}

/**
 * Every BullMQ queue this deployment runs, in one place: the /metrics scrape and the queue
 * dashboard both read this list, so a new queue added to the services shows up in both. Poll and
 * webhook jobs are in one queue per partition plus the legacy single queue; deliveries, event
 * sinks and token revocations stay one queue each (per subscription, sink or account, not per
 * installation).
 */
export function serviceQueues(services: QueueOwners): ServiceQueue[] {
  const partitioned = (owner: Partitioned): ServiceQueue[] => [
    ...(owner.partitions as Queue[]).map((queue, k) => ({ queue, label: partitionQueueLabel(queue.name, k), partition: k })),
    { queue: owner.legacy as Queue, label: partitionQueueLabel((owner.legacy as Queue).name, undefined) },
  ];
  const single = (queue: object): ServiceQueue => ({ queue: queue as Queue, label: (queue as Queue).name });
  return [...partitioned(services.scheduler.queue), ...partitioned(services.webhooks.queue), single(services.revocations.queue), single(services.webServices.sinkDeliveries.queue)];
}

/**
 * Reads every queue's job counts into the depth gauge, summed per queue name (the label stays the
 * name: `poll`, not one series per partition). A name any of whose queues cannot be read keeps its
 * last value rather than showing a partial sum.
 */
export async function refreshQueueDepth(services: QueueOwners & Pick<Base, 'metrics'>): Promise<void> {
  const byName = new Map<string, Queue[]>();
  for (const { queue } of serviceQueues(services)) byName.set(queue.name, [...(byName.get(queue.name) ?? []), queue]);
  await Promise.all(
    [...byName].map(async ([name, queues]) => {
      try {
        const sum: Record<string, number> = {};
        for (const counts of await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')))) {
          for (const [state, n] of Object.entries(counts)) sum[state] = (sum[state] ?? 0) + n;
        }
        for (const [state, n] of Object.entries(sum)) services.metrics.queueDepth.set({ queue: name, state }, n);
      } catch {
        // Redis down: the scrape still answers with what this process knows.
      }
    }),
  );
}

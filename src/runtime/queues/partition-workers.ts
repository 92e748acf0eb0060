import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { PartitionedQueue } from './partitioned-queue';

/**
 * The concurrency of each partition queue's worker when a process may run `total` jobs of a queue
 * name at once over `partitions` queues: max(1, ceil(total / partitions)). The process then runs at
 * most about `total` jobs (K × ceil(c/K), and one per partition when c < K), as with one queue.
 *
 * Why not `total` per worker behind a process-wide limiter: a BullMQ worker takes a job (moves it
 * to active, under its lock) before a limiter in the processor could refuse it, so every process
 * would hold up to K × `total` jobs, idle, that other processes could have run, and an uneven
 * backlog would sit in whichever process fetched it. Split concurrency keeps every fetched job
 * running. Its cost is that one hot partition gets only ceil(c/K) of a process's slots; the
 * installations hash evenly over partitions and dispatch and ingest fill them alike, so with a
 * fleet (not a handful of installations) the partitions' queues are about equally deep, and
 * adding processes adds slots to every partition. Measured in bench/README.md (fanout on the
 * Cluster with 1, 2 and 4 worker processes).
 */
export function partitionConcurrency(total: number, partitions: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, partitions)));
}

/**
 * One BullMQ worker per partition queue of `queue`, and one on its legacy single queue, so jobs
 * queued there before the upgrade (waiting, delayed, retrying) are still worked: nothing
 * acknowledged is lost. Each worker gets its own blocking connection (BullMQ duplicates the
 * `connection` it is given for its blocking fetch); the non-blocking one is shared.
 */
export function startPartitionWorkers<T>(
  queue: PartitionedQueue<T>,
  processor: Processor<T>,
  options: Omit<WorkerOptions, 'prefix' | 'concurrency'>,
  totalConcurrency: number,
): Worker<T>[] {
  const concurrency = partitionConcurrency(totalConcurrency, queue.partitions.length);
  return queue.all().map((q) => new Worker<T>(queue.name, processor, { ...options, prefix: q.opts.prefix ?? '', concurrency }));
}

import { Queue, type Job, type JobType, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys';

/**
 * One BullMQ queue name (`poll`, `webhook`) as one queue per partition, each under its partition's
 * hash-tagged prefix (Keys.partitionBullPrefix): on a Cluster every BullMQ script stays in the one
 * slot of its queue, and the partitions' queues (with the load of their installations' jobs)
 * spread over the shards instead of all landing on the primary of one slot.
 *
 * `legacy` is the single queue of the same name under the shared prefix, where versions before
 * issue 16.2 queued every job. Nothing new is queued there; workers keep working it (jobs waiting
 * or delayed there at the upgrade are processed, nothing acknowledged is lost) and purge looks in
 * it by job id. It also holds the BullMQ job schedulers of versions before issue 16.4.
 *
 * The aggregate reads (counts, jobs, pause) cover every partition queue and the legacy one, for
 * observers (metrics, tests, benchmarks); producers pick one queue with `of`.
 */
export class PartitionedQueue<T> {
  readonly partitions: readonly Queue<T>[];
  readonly legacy: Queue<T>;

  constructor(
    readonly name: string,
    connection: Redis,
    private readonly keys: Keys,
    options: Omit<QueueOptions, 'connection' | 'prefix'> = {},
    onError: (err: Error) => void = () => undefined,
  ) {
    // All share the one connection: a Queue only sends commands, and on a Cluster the client
    // routes each queue's commands to the primary of its slot.
    const make = (prefix: string) => {
      const queue = new Queue<T>(name, { ...options, connection, prefix });
      // Connection errors surface on the calls that fail; without a listener BullMQ prints them raw.
      queue.on('error', onError);
      return queue;
    };
    this.partitions = keys.partitions.all().map((k) => make(keys.partitionBullPrefix(k)));
    this.legacy = make(keys.bullPrefix);
  }

  /** The queue of the installation's partition: where its jobs go. */
  of(installationId: string): Queue<T> {
    return this.at(this.keys.partitions.of(installationId));
  }

  /** Partition `k`'s queue. */
  at(k: number): Queue<T> {
    const queue = this.partitions[k];
    if (!queue) throw new RangeError(`no partition ${k} of ${this.partitions.length}`);
    return queue;
  }

  /** Every queue jobs may be in: the partitions' and the legacy one (last). */
  all(): Queue<T>[] {
    return [...this.partitions, this.legacy];
  }

  /** Job counts summed over every queue. */
  async getJobCounts(...types: JobType[]): Promise<Record<string, number>> {
    const sum: Record<string, number> = {};
    for (const counts of await Promise.all(this.all().map((q) => q.getJobCounts(...types)))) {
      for (const [state, n] of Object.entries(counts)) sum[state] = (sum[state] ?? 0) + n;
    }
    return sum;
  }

  async getJobCountByTypes(...types: JobType[]): Promise<number> {
    return (await Promise.all(this.all().map((q) => q.getJobCountByTypes(...types)))).reduce((a, b) => a + b, 0);
  }

  getWaitingCount(): Promise<number> {
    return this.getJobCountByTypes('waiting');
  }

  getFailedCount(): Promise<number> {
    return this.getJobCountByTypes('failed');
  }

  getActiveCount(): Promise<number> {
    return this.getJobCountByTypes('active');
  }

  /**
   * Jobs of every queue, the partitions' first: positions `start`…`end` of that concatenation
   * (`end` -1: all). Each queue is read up to `end`, so this is for observers, not a paging API.
   */
  async getJobs(types: JobType[], start = 0, end = -1, asc = false): Promise<Job<T>[]> {
    const each = await Promise.all(this.all().map((q) => q.getJobs(types, 0, end, asc)));
    const jobs = each.flat();
    return end < 0 ? jobs.slice(start) : jobs.slice(start, end + 1);
  }

  async pause(): Promise<void> {
    await Promise.all(this.all().map((q) => q.pause()));
  }

  async resume(): Promise<void> {
    await Promise.all(this.all().map((q) => q.resume()));
  }

  async obliterate(options?: { force?: boolean; count?: number }): Promise<void> {
    await Promise.all(this.all().map((q) => q.obliterate(options)));
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}

/** A label for partition `k`'s queue on dashboards (`poll p3`); the legacy queue's is `poll (single)`. */
export const partitionQueueLabel = (name: string, k: number | undefined): string => (k === undefined ? `${name} (single)` : `${name} p${k}`);

import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { PartitionedQueue, type Keys } from '../runtime';
import { firstDue } from './poll-schedule-math';
import { PollScheduleStore } from './poll-schedule-store';

export const POLL_QUEUE = 'poll';

const pollJobFields = z.object({
  installationId: z.string().min(1),
  reason: z.enum(['scheduled', 'manual', 'command', 'selection', 'catch-up', 'webhook']),
  /**
   * The installation's connector, when the producer knew it: the poll then asks for its first
   * cloud call's admission and tokens in the lock's round trip. Jobs without it (older schedules,
   * producers that only had the id) poll the same way with one round trip more.
   */
  connector: z.string().min(1).optional(),
});

/**
 * A scheduled poll's data as the dispatcher queues it (and as BullMQ job schedulers of earlier
 * versions stored it): short keys, the reason implied.
 */
const scheduledPollFields = z
  .object({ i: z.string().min(1), c: z.string().min(1).optional() })
  .transform((d): PollJob => ({ installationId: d.i, reason: 'scheduled', ...(d.c !== undefined ? { connector: d.c } : {}) }));

/** A poll job's data as queued: the full form, or a schedule's compact one (both parse to a PollJob). */
export const pollJobSchema = z.union([pollJobFields, scheduledPollFields]);
export type PollJob = z.infer<typeof pollJobFields>;
export type PollJobData = PollJob | z.input<typeof scheduledPollFields>;

/** The installation a poll job's data names (either form); undefined for data this code did not write. */
export function pollJobInstallation(data: unknown): string | undefined {
  const parsed = pollJobSchema.safeParse(data);
  return parsed.success ? parsed.data.installationId : undefined;
}

/**
 * Transient failures back off 5 s, 10 s, 20 s, 40 s; reauth and fatal errors are not retried. A poll
 * that failed for good keeps no record: it has nothing to replay (the next poll reads the cloud
 * again), its failure is logged and counted, and a kept record would name the installation in a
 * queue-wide set that uninstall could only clean by scanning.
 */
export const POLL_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: true,
};

/**
 * A scheduled poll's job: the retries as above, while keeping no record is the poll worker's
 * setting (POLL_WORKER_OPTIONS) rather than each job's, so the job's hash stays small.
 */
export const SCHEDULED_POLL_OPTIONS: JobsOptions = { attempts: 5, backoff: { type: 'exponential', delay: 5_000 } };

/** Every poll worker's: a finished poll leaves no record, whether or not its job says so. */
export const POLL_WORKER_OPTIONS = { removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } } as const;

/**
 * Job, scheduler and deduplication ids are derived from the installation id rather than containing
 * it: BullMQ copies them into its queue-wide event stream, which outlives the installation.
 */
const jobTag = (installationId: string) => createHash('sha256').update(installationId).digest('base64url').slice(0, 22);
/** The id of the BullMQ job scheduler that held an installation's schedule before issue 16.4 (migrated by repair-schedules.ts). */
export const pollSchedulerId = (installationId: string) => `poll-${jobTag(installationId)}`;
/**
 * A scheduled poll's job id: one per installation, not per due time, so while one scheduled poll
 * of an installation is pending (queued, running, retrying) another is not added: a re-dispatch
 * after a dispatcher crashed does not duplicate it, and workers that fall behind do not pile polls
 * up (the next slot's poll is skipped, as a BullMQ job scheduler skipped it). Purge removes it by id.
 */
export const scheduledJobId = (installationId: string) => `sched-${jobTag(installationId)}`;
const dedupId = (installationId: string) => `now-${jobTag(installationId)}`;

/** An installation's poll schedule. */
export interface PollSchedule {
  installationId: string;
  connector: string;
  /** The configured interval of its connector (ms). */
  every: number;
  /** When it is due next (ms; while a dispatcher has claimed it, when that claim's lease ends). */
  due: number;
}

/** A BullMQ job scheduler of the form written before issue 16.4, to migrate. */
export interface LegacySchedule {
  id: string;
  /** Absent on a scheduler this code did not write. */
  installationId: string | undefined;
  /** Absent on the earliest form, which did not name it. */
  connector: string | undefined;
  /** When its next job is due (ms). */
  next: number | undefined;
}

/**
 * The producer side of polling: schedules (one sorted-set entry per installation, see
 * poll-schedule-store.ts; poll-dispatcher.ts turns due ones into jobs), immediate polls, and the
 * cleanup of one installation's schedule and jobs.
 */
export class PollScheduler {
  /** One `poll` queue per partition (an installation's jobs go to its partition's), and the legacy single one. */
  readonly queue: PartitionedQueue<PollJobData>;
  readonly store: PollScheduleStore;
  private readonly connectors: readonly string[];

  constructor(
    connection: Redis,
    keys: Keys,
    /** The poll interval of each connector this process runs (ms). */
    readonly intervals: ReadonlyMap<string, number>,
    onError: (err: Error) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    // No defaultJobOptions: each add names its own.
    this.queue = new PartitionedQueue<PollJobData>(POLL_QUEUE, connection, keys, {}, onError);
    this.store = new PollScheduleStore(connection, keys);
    this.connectors = [...intervals.keys()];
  }

  /** Schedules (or re-aligns) the installation's polls: due at its next slot of the interval. */
  async schedule(installationId: string, intervalMs: number, connector: string): Promise<void> {
    await this.store.set(installationId, connector, firstDue(this.now(), intervalMs, installationId));
  }

  /** Schedules the installation's next poll at `due` (ms): a migrated schedule keeps its next run. */
  async scheduleAt(installationId: string, connector: string, due: number): Promise<void> {
    await this.store.set(installationId, connector, due);
  }

  async unschedule(installationId: string): Promise<void> {
    await this.store.remove(installationId, this.connectors);
  }

  /** The installation's schedule, or undefined when it has none (among the connectors this process runs). */
  async scheduleOf(installationId: string): Promise<PollSchedule | undefined> {
    const found = await this.store.find(installationId, this.connectors);
    if (found === undefined) return undefined;
    return { installationId, connector: found.connector, every: this.intervals.get(found.connector) ?? 0, due: found.due };
  }

  /** Every schedule of the connectors this process runs, a batch at a time per partition (an entry may repeat). */
  async *schedules(pageSize = 500): AsyncGenerator<PollSchedule & { id: string }> {
    for (const k of this.store.partitions) {
      for (const connector of this.connectors) {
        const every = this.intervals.get(connector) ?? 0;
        for await (const batch of this.store.entries(k, connector, pageSize)) {
          for (const e of batch) yield { id: e.installationId, installationId: e.installationId, connector, every, due: e.due };
        }
      }
    }
  }

  /** Removes one installation's schedule (the installation may be long gone); with its connector, from that set only. */
  async removeSchedule(installationId: string, connector?: string): Promise<void> {
    await this.store.remove(installationId, connector !== undefined ? [connector] : this.connectors);
  }

  /** Moves an existing schedule to `due`; false when it has none (removed meanwhile). */
  async reschedule(installationId: string, connector: string, due: number): Promise<boolean> {
    return this.store.move(installationId, connector, due);
  }

  /** When the schedule's next poll is due (undefined: not scheduled). */
  async nextPollAt(installationId: string): Promise<Date | undefined> {
    const found = await this.store.find(installationId, this.connectors);
    return found === undefined ? undefined : new Date(found.due);
  }

  async isScheduled(installationId: string): Promise<boolean> {
    return (await this.store.find(installationId, this.connectors)) !== undefined;
  }

  /** Debounced: while one immediate poll of this installation is pending, another is not added. */
  async pollNow(installationId: string, reason: PollJob['reason'], delayMs = 0, connector?: string): Promise<void> {
    await this.queue.of(installationId).add(
      'poll',
      { installationId, reason, ...(connector !== undefined ? { connector } : {}) },
      { ...POLL_JOB_OPTIONS, delay: delayMs, deduplication: { id: dedupId(installationId) } },
    );
  }

  /**
   * Removes one installation's schedule and jobs by their ids, never by scanning the queue: its
   * schedule entry, its pending scheduled poll (one job id per installation), the pending
   * immediate poll the deduplication key points to, and a BullMQ job scheduler of the form before
   * issue 16.4 that the repair has not migrated yet. Finished jobs leave no record
   * (removeOnComplete, removeOnFail), so nothing else is left. Jobs are looked for in the
   * installation's partition queue and in the legacy single queue (queued before issue 16.2).
   */
  async purge(installationId: string): Promise<void> {
    await this.unschedule(installationId);
    const legacy = await this.queue.legacy.getJobScheduler(pollSchedulerId(installationId));
    if (legacy !== undefined) await this.removeLegacySchedule(pollSchedulerId(installationId), legacy.next);
    const queues = [this.queue.of(installationId), this.queue.legacy];
    for (const queue of queues) {
      await queue.remove(scheduledJobId(installationId)).catch(() => undefined); // an active job finishes on its own
      const pending = await queue.getDeduplicationJobId(dedupId(installationId));
      if (pending) await queue.remove(pending).catch(() => undefined);
      await queue.removeDeduplicationKey(dedupId(installationId)).catch(() => undefined);
    }
    for (const queue of queues) await this.awaitActive(queue, installationId);
  }

  /** The BullMQ job schedulers left by versions before issue 16.4 (in the legacy single queue), a page at a time. */
  async *legacySchedules(pageSize = 500): AsyncGenerator<LegacySchedule> {
    for (let start = 0; ; start += pageSize) {
      const page = await this.queue.legacy.getJobSchedulers(start, start + pageSize - 1, true);
      for (const s of page) {
        const data = pollJobSchema.safeParse(s.template?.data);
        yield { id: s.key, installationId: data.success ? data.data.installationId : undefined, connector: data.success ? data.data.connector : undefined, next: s.next };
      }
      if (page.length < pageSize) return;
    }
  }

  /** Removes a BullMQ job scheduler with its next job (removeJobScheduler deletes it only while delayed; once due it sits in wait). */
  async removeLegacySchedule(id: string, next: number | undefined): Promise<void> {
    await this.queue.legacy.removeJobScheduler(id);
    if (next !== undefined) await this.queue.legacy.remove(`repeat:${id}:${next}`).catch(() => undefined);
  }

  /**
   * A job already running cannot be removed; it finishes on its own (finding the installation gone)
   * and removes itself on completion. Wait for that, bounded, so purge leaves no record behind.
   */
  private async awaitActive(queue: Queue<PollJobData>, installationId: string, timeoutMs = 35_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const active = (await queue.getJobs(['active'], 0, 999)).filter((j) => j !== undefined && pollJobInstallation(j.data) === installationId);
    for (const job of active) {
      while (Date.now() < deadline) {
        const state = await job.getState();
        if (state !== 'active') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await job.remove().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

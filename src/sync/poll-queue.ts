import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

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
 * A scheduled poll's data as its scheduler stores it (and copies into each next job): short keys,
 * the reason implied. With the schedule's job options (POLL_SCHEDULE_OPTIONS) this keeps every
 * value of the scheduler's hash under Redis's `hash-max-listpack-value` (64 bytes), so the hash
 * stays in the compact listpack encoding: 688 → ~250 bytes per installation.
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
 * A schedule's jobs: the retries as above, while keeping no record is the poll worker's setting
 * (POLL_WORKER_OPTIONS) rather than each job's, so the options BullMQ stores in the scheduler's
 * hash stay under 64 bytes (see scheduledPollFields).
 */
export const POLL_SCHEDULE_OPTIONS: JobsOptions = { attempts: 5, backoff: { type: 'exponential', delay: 5_000 } };

/** Every poll worker's: a finished poll leaves no record, whether or not its job says so. */
export const POLL_WORKER_OPTIONS = { removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } } as const;

/**
 * Spreads installations over the interval deterministically, so polls do not run in lock-step and
 * a restart does not move an installation's slot.
 */
export function jitterOffsetMs(installationId: string, intervalMs: number): number {
  const n = createHash('sha256').update(installationId).digest().readUInt32BE(0);
  return n % intervalMs;
}

/**
 * Scheduler and deduplication ids are derived from the installation id rather than containing it:
 * BullMQ copies them into its queue-wide event stream, which outlives the installation.
 */
const jobTag = (installationId: string) => createHash('sha256').update(installationId).digest('base64url').slice(0, 22);
export const pollSchedulerId = (installationId: string) => `poll-${jobTag(installationId)}`;
const schedulerId = pollSchedulerId;
const dedupId = (installationId: string) => `now-${jobTag(installationId)}`;

/** The producer side of polling: schedules, immediate polls, and cleanup of one installation's jobs. */
export class PollScheduler {
  readonly queue: Queue<PollJobData>;

  constructor(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined) {
    // No defaultJobOptions: BullMQ merges them into every schedule's stored template. Each add names its own.
    this.queue = new Queue<PollJobData>(POLL_QUEUE, { connection, prefix });
    // Connection errors surface on the calls that fail; without a listener BullMQ prints them raw.
    this.queue.on('error', onError);
  }

  async schedule(installationId: string, intervalMs: number, connector?: string): Promise<void> {
    await this.queue.upsertJobScheduler(
      schedulerId(installationId),
      { every: intervalMs, offset: jitterOffsetMs(installationId, intervalMs) },
      { name: 'poll', data: { i: installationId, ...(connector !== undefined ? { c: connector } : {}) }, opts: POLL_SCHEDULE_OPTIONS },
    );
  }

  async unschedule(installationId: string): Promise<void> {
    await this.queue.removeJobScheduler(schedulerId(installationId));
  }

  /** The schedule's period, or undefined when the installation has none. */
  async scheduledEvery(installationId: string): Promise<number | undefined> {
    return (await this.scheduleOf(installationId))?.every;
  }

  /** The schedule's period and the connector its polls name (undefined: an older schedule without it). */
  async scheduleOf(installationId: string): Promise<{ every: number; connector: string | undefined } | undefined> {
    const scheduler = await this.queue.getJobScheduler(schedulerId(installationId));
    if (scheduler === undefined) return undefined;
    const data = pollJobSchema.safeParse(scheduler.template?.data);
    return { every: scheduler.every ?? 0, connector: data.success ? data.data.connector : undefined };
  }

  /**
   * Every schedule in the queue, a page at a time: its id and the installation its template
   * polls (absent on a schedule this code did not write).
   */
  async *schedules(pageSize = 500): AsyncGenerator<{ id: string; installationId: string | undefined }> {
    for (let start = 0; ; start += pageSize) {
      const page = await this.queue.getJobSchedulers(start, start + pageSize - 1, true);
      for (const s of page) yield { id: s.key, installationId: pollJobInstallation(s.template?.data) };
      if (page.length < pageSize) return;
    }
  }

  /** Removes one schedule by its id, with its next delayed job (the installation may be long gone). */
  async removeSchedule(id: string): Promise<void> {
    await this.queue.removeJobScheduler(id);
  }

  /** When the schedule's next poll is due (undefined: not scheduled). */
  async nextPollAt(installationId: string): Promise<Date | undefined> {
    const next = (await this.queue.getJobScheduler(schedulerId(installationId)))?.next;
    return next === undefined ? undefined : new Date(next);
  }

  async isScheduled(installationId: string): Promise<boolean> {
    return (await this.queue.getJobScheduler(schedulerId(installationId))) !== undefined;
  }

  /** Debounced: while one immediate poll of this installation is pending, another is not added. */
  async pollNow(installationId: string, reason: PollJob['reason'], delayMs = 0, connector?: string): Promise<void> {
    await this.queue.add(
      'poll',
      { installationId, reason, ...(connector !== undefined ? { connector } : {}) },
      { ...POLL_JOB_OPTIONS, delay: delayMs, deduplication: { id: dedupId(installationId) } },
    );
  }

  /**
   * Removes one installation's schedule and jobs by their ids, never by scanning the queue (the
   * delayed set holds one job per scheduled installation, so a scan grew with the fleet): the
   * scheduler with its next delayed job, and the pending immediate poll the deduplication key
   * points to. Finished jobs leave no record (removeOnComplete, removeOnFail), so nothing else is left.
   */
  async purge(installationId: string): Promise<void> {
    const scheduler = await this.queue.getJobScheduler(schedulerId(installationId));
    await this.unschedule(installationId);
    // removeJobScheduler deletes the next job only while it is delayed; once due it sits in wait.
    if (scheduler?.next !== undefined) {
      await this.queue.remove(`repeat:${schedulerId(installationId)}:${scheduler.next}`).catch(() => undefined);
    }
    const pending = await this.queue.getDeduplicationJobId(dedupId(installationId));
    if (pending) await this.queue.remove(pending).catch(() => undefined); // an active job finishes on its own
    await this.queue.removeDeduplicationKey(dedupId(installationId)).catch(() => undefined);
    await this.awaitActive(installationId);
  }

  /**
   * A job already running cannot be removed; it finishes on its own (finding the installation gone)
   * and removes itself on completion. Wait for that, bounded, so purge leaves no record behind.
   */
  private async awaitActive(installationId: string, timeoutMs = 35_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const active = (await this.queue.getJobs(['active'], 0, 999)).filter((j) => j !== undefined && pollJobInstallation(j.data) === installationId);
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

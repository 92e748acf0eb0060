import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const POLL_QUEUE = 'poll';

export const pollJobSchema = z.object({
  installationId: z.string().min(1),
  reason: z.enum(['scheduled', 'manual', 'command', 'selection', 'catch-up', 'webhook']),
});
export type PollJob = z.infer<typeof pollJobSchema>;

/** Transient failures back off 5 s, 10 s, 20 s, 40 s; reauth and fatal errors are not retried. */
export const POLL_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: true,
  removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
};

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
const schedulerId = (installationId: string) => `poll-${jobTag(installationId)}`;
const dedupId = (installationId: string) => `now-${jobTag(installationId)}`;

/** The producer side of polling: schedules, immediate polls, and cleanup of one installation's jobs. */
export class PollScheduler {
  readonly queue: Queue<PollJob>;

  constructor(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined) {
    this.queue = new Queue<PollJob>(POLL_QUEUE, { connection, prefix, defaultJobOptions: POLL_JOB_OPTIONS });
    // Connection errors surface on the calls that fail; without a listener BullMQ prints them raw.
    this.queue.on('error', onError);
  }

  async schedule(installationId: string, intervalMs: number): Promise<void> {
    await this.queue.upsertJobScheduler(
      schedulerId(installationId),
      { every: intervalMs, offset: jitterOffsetMs(installationId, intervalMs) },
      { name: 'poll', data: { installationId, reason: 'scheduled' }, opts: POLL_JOB_OPTIONS },
    );
  }

  async unschedule(installationId: string): Promise<void> {
    await this.queue.removeJobScheduler(schedulerId(installationId));
  }

  async isScheduled(installationId: string): Promise<boolean> {
    return (await this.queue.getJobScheduler(schedulerId(installationId))) !== undefined;
  }

  /** Debounced: while one immediate poll of this installation is pending, another is not added. */
  async pollNow(installationId: string, reason: PollJob['reason'], delayMs = 0): Promise<void> {
    await this.queue.add(
      'poll',
      { installationId, reason },
      { ...POLL_JOB_OPTIONS, delay: delayMs, deduplication: { id: dedupId(installationId) } },
    );
  }

  /** Removes the schedule and every job record (waiting, delayed, failed, completed) of one installation. */
  async purge(installationId: string): Promise<void> {
    await this.unschedule(installationId);
    const states = ['waiting', 'delayed', 'prioritized', 'failed', 'completed'] as const;
    const batch = 500;
    for (const state of states) {
      for (let start = 0; ; start += batch) {
        const jobs = await this.queue.getJobs([state], start, start + batch - 1, true);
        if (jobs.length === 0) break;
        let removed = 0;
        for (const job of jobs) {
          if (job?.data?.installationId === installationId) {
            await job.remove().catch(() => undefined); // an active job finishes on its own
            removed++;
          }
        }
        start -= removed;
        if (jobs.length < batch) break;
      }
    }
    await this.queue.removeDeduplicationKey(dedupId(installationId)).catch(() => undefined);
    await this.awaitActive(installationId);
  }

  /**
   * A job already running cannot be removed; it finishes on its own (finding the installation gone)
   * and removes itself on completion. Wait for that, bounded, so purge leaves no record behind.
   */
  private async awaitActive(installationId: string, timeoutMs = 35_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const active = (await this.queue.getJobs(['active'], 0, 999)).filter((j) => j?.data?.installationId === installationId);
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

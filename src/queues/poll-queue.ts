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

const schedulerId = (installationId: string) => `poll-${installationId}`;

/** The producer side of polling: schedules, immediate polls, and cleanup of one installation's jobs. */
export class PollScheduler {
  readonly queue: Queue<PollJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<PollJob>(POLL_QUEUE, { connection, prefix, defaultJobOptions: POLL_JOB_OPTIONS });
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
      { ...POLL_JOB_OPTIONS, delay: delayMs, deduplication: { id: `now-${installationId}` } },
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
    await this.queue.removeDeduplicationKey(`now-${installationId}`).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

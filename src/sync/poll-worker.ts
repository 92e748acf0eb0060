import { UnrecoverableError, type Job } from 'bullmq';
import { outcomeOf } from '../cloud';
import { pollJobSchema, type PollJob } from './poll-queue';
import { syncInstallation, type SyncOutcome } from './sync-installation';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base } from '../runtime';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Cloud, 'clients'> &
  Pick<Platform, 'devices' | 'health' | 'installations'>;

/**
 * The poll job: parse → sync → classify failures once. Transient errors are rethrown for BullMQ's
 * backoff; re-auth and fatal errors end the job (retrying cannot fix them).
 */
export interface PollHooks {
  /**
   * Runs after every poll that reached the cloud: ingest retries a callback registration the
   * cloud could not take at linking. A hook, so that sync knows nothing of ingest.
   */
  afterPoll?: (installationId: string) => Promise<void>;
}

export function pollProcessor(services: Deps, hooks: PollHooks = {}) {
  return async (job: Job<PollJob>): Promise<SyncOutcome['kind']> => {
    const data = pollJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError('malformed poll job');
    const log = services.log.child({ jobId: job.id, installationId: data.data.installationId });
    try {
      const outcome = await syncInstallation(services, data.data.installationId);
      if (outcome.kind !== 'skipped') await hooks.afterPoll?.(data.data.installationId);
      if (outcome.kind === 'applied') {
        const c = outcome.changes;
        log.info({ added: c.add.length, removed: c.remove.length, renamed: c.rename.length, updated: c.update.length }, 'poll applied');
      }
      services.metrics.polls.inc({ outcome: outcome.kind });
      return outcome.kind;
    } catch (err) {
      const outcome = outcomeOf(err);
      services.metrics.polls.inc({ outcome: `failed_${outcome}` });
      log.warn({ outcome, reason: (err as Error).message, attempt: job.attemptsMade + 1 }, 'poll failed');
      if (outcome === 'retry') throw err;
      throw new UnrecoverableError((err as Error).message);
    }
  };
}

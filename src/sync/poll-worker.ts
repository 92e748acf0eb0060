import { UnrecoverableError, type Job } from 'bullmq';
import { outcomeOf } from '../cloud';
import { pollJobSchema, type PollJobData } from './poll-queue';
import { syncInstallation, type ExtraReads, type SyncOutcome } from './sync-installation';

/** The pipeline a poll sends first (lock, its reads, a hook's reads). */
type FirstPipeline = Parameters<ExtraReads['queue']>[0];
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base, PipelineReplies } from '../runtime';

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
  afterPoll?: (installationId: string, replies: PipelineReplies | undefined) => Promise<void>;
  /**
   * What `afterPoll` will read, queued on the poll's first round trip (behind the lock, with the
   * poll's own reads): `afterPoll` then gets their replies instead of asking Redis itself.
   */
  afterPollReads?: (pipeline: FirstPipeline, installationId: string) => void;
}

export function pollProcessor(services: Deps, hooks: PollHooks = {}) {
  return async (job: Job<PollJobData>): Promise<SyncOutcome['kind']> => {
    const data = pollJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError('malformed poll job');
    const log = services.log.child({ jobId: job.id, installationId: data.data.installationId });
    try {
      const { installationId, connector } = data.data;
      let replies: PipelineReplies | undefined;
      const reads = hooks.afterPollReads;
      const extra = reads && { queue: (pipeline: FirstPipeline) => reads(pipeline, installationId), take: (r: PipelineReplies) => (replies = r) };
      const outcome = await syncInstallation(services, installationId, { ...(connector !== undefined ? { connector } : {}), ...(extra ? { extra } : {}) });
      if (outcome.kind !== 'skipped') await hooks.afterPoll?.(installationId, replies);
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

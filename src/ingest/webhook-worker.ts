import { UnrecoverableError, type Job } from 'bullmq';
import type { WebhookEffect } from '../connectors';
import type { Logger } from '../runtime';
import { callbacksOf, webhookJobSchema, type WebhookCallback, type WebhookJob } from './webhook-queue';
import type { Installation } from '../platform';
import { applySnapshot, withSyncLock } from '../sync';
import { planBatch, settleLimited } from './batch';
import { pushTargets } from './cloud-subscriptions';
import { ingestRecords } from './records';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { Sync } from '../sync';
import type { Ingest } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Cloud, 'clients'> &
  Pick<Ingest, 'callbackTokens'> &
  Pick<Platform, 'devices' | 'events' | 'health' | 'installations'> &
  Pick<Sync, 'scheduler'>;

export const DEFAULT_DEDUP_WINDOW_MS = 10 * 60 * 1000;
export const DEFAULT_REFRESH_DEBOUNCE_MS = 5_000;
/** Installations of one batch processed side by side. */
const INSTALLATIONS_IN_PARALLEL = 16;
/** What became of one callback; `failed` ones are retried with their job. */
export type WebhookOutcome = 'applied' | 'duplicate' | 'skipped' | 'unparseable';
export type BatchSummary = Record<WebhookOutcome | 'failed', number>;

async function applyEffect(services: Deps, installationId: string, connector: string, effect: WebhookEffect): Promise<void> {
  switch (effect.kind) {
    case 'patch':
      await withSyncLock(services, installationId, async (_, fence) => {
        const selected = await services.devices.selected(installationId);
        await applySnapshot(services, installationId, effect.devices, false, selected, fence);
      });
      return;
    case 'removed':
      await withSyncLock(services, installationId, async (_, fence) => {
        const current = await services.devices.byExternalId(installationId);
        const gone = effect.externalIds.flatMap((id) => current.get(id) ?? []);
        if (gone.length) await services.devices.apply(installationId, { add: [], remove: gone, rename: [], update: [] }, fence);
      });
      return;
    case 'refresh':
      // Naming the connector lets the poll ask for its first cloud call's admission with its lock.
      await services.scheduler.pollNow(installationId, 'webhook', effect.debounceMs ?? DEFAULT_REFRESH_DEBOUNCE_MS, connector);
      return;
    case 'activation':
      await ingestRecords(services).webhooks.markActivated(installationId, new Date(services.now()));
      return;
  }
}

/**
 * A name for one batch job that no other job shares: job ids come from a counter per queue, which
 * each partition's queue has its own of (and a wiped queue restarts), so the key names the
 * partition (`p3:…`; none for the legacy single queue, whose jobs keep the names they had) and the
 * creation time.
 */
export function batchJobKey(job: Pick<Job, 'id' | 'timestamp' | 'queueQualifiedName'>): string {
  const k = /\{[^{}]*:p(\d+)\}/.exec(job.queueQualifiedName)?.[1];
  return `${k !== undefined ? `p${k}:` : ''}${job.id ?? 'no-id'}:${job.timestamp}`;
}

/** Why a batch job is retried: some of its callbacks could not be applied yet. */
export class WebhookBatchIncomplete extends Error {
  constructor(failed: number, total: number, cause: unknown) {
    super(`${failed} of ${total} callbacks not applied yet: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'WebhookBatchIncomplete';
  }
}

/**
 * Processes one job: a batch of acknowledged callbacks (or, from before batching, a single one).
 * Each callback is handled as its own delivery: parsed by the connector (unparseable → kept in the
 * failed set, not retried), dropped if a duplicate within the window, its effects applied to every
 * installation the push is for, through the same reconciliation as polls. One installation's
 * callbacks run in arrival order; different installations run side by side. A callback that fails
 * for a transient reason stops its installation's run (later ones wait, to keep the order) and
 * makes the job retry; callbacks already applied are recorded, so the retry, or the re-run of a job
 * whose worker was killed, applies only the rest.
 */
export function webhookProcessor(services: Deps) {
  const records = ingestRecords(services);

  return async (job: Job<WebhookJob>): Promise<BatchSummary> => {
    const data = webhookJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError('malformed webhook job');
    const callbacks = callbacksOf(data.data);
    const legacy = !('callbacks' in data.data);
    const jobKey = batchJobKey(job);
    const ledger = records.batch(jobKey);
    // Only a job started before can have applied anything; BullMQ counts starts, stalled restarts included.
    const done = job.attemptsStarted === 1 ? new Set<number>() : await ledger.done();

    const summary: BatchSummary = { applied: 0, duplicate: 0, skipped: 0, unparseable: 0, failed: 0 };
    const runs = planBatch(callbacks, done);
    const settled = await settleLimited(runs, INSTALLATIONS_IN_PARALLEL, async (run) => {
      let installation: Installation | null | undefined;
      for (const [n, index] of run.indices.entries()) {
        const callback = callbacks[index] as WebhookCallback;
        const connector = callback.connector;
        const log = services.log.child({ jobId: job.id, callback: index, installationId: callback.installationId, connector });
        try {
          if (installation === undefined) installation = await services.installations.get(run.installationId);
          const outcome = await processCallback(callback, index, log);
          summary[outcome]++;
          services.metrics.webhookCallbacks.inc({ connector, outcome });
        } catch (err) {
          const left = run.indices.length - n;
          summary.failed += left;
          services.metrics.webhookCallbacks.inc({ connector, outcome: 'failed' }, left);
          log.warn({ reason: (err as Error).message, waiting: left - 1 }, 'webhook callback not applied; the job will retry');
          throw err;
        }
      }

      async function processCallback(callback: WebhookCallback, index: number, log: Logger): Promise<WebhookOutcome> {
        if (!installation) return 'skipped';
        const webhook = services.connectors.get(installation.connector)?.definition.webhook;
        if (!webhook) return 'skipped';

        let parsed;
        try {
          parsed = webhook.parse(JSON.parse(callback.body) as unknown);
        } catch (err) {
          const reason = (err as Error).message.slice(0, 200);
          const entry = { receivedAt: new Date(callback.receivedAt).toISOString(), failedAt: new Date(services.now()).toISOString(), reason, body: callback.body };
          await ledger.recordUnparseable(installation.id, index, entry);
          log.warn({ reason }, 'webhook payload could not be parsed; kept in the failed set');
          return 'unparseable';
        }

        const dedupKey = parsed.dedupKey;
        // Stable across retries of this job, so a claim this delivery left behind (killed worker,
        // Redis gone before release) is recognised as its own and not as a duplicate.
        const owner = legacy ? String(job.id) : `${jobKey}:${index}`;
        if (dedupKey !== undefined) {
          const fresh = await ledger.claim(installation.id, dedupKey, services.now(), webhook.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS, owner);
          if (!fresh) {
            log.info('duplicate webhook ignored');
            return 'duplicate';
          }
        }
        try {
          for (const target of await pushTargets(services, installation)) {
            const t = target === installation.id ? installation : await services.installations.get(target);
            if (!t || t.status !== 'linked') continue;
            for (const effect of parsed.effects) await applyEffect(services, target, t.connector, effect);
          }
        } catch (err) {
          if (dedupKey !== undefined) await ledger.release(installation.id, dedupKey, owner).catch(() => undefined);
          throw err;
        }
        await ledger.markApplied(index);
        return 'applied';
      }
    });

    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected.length > 0) throw new WebhookBatchIncomplete(summary.failed, callbacks.length, rejected[0]?.reason);
    if (summary.applied + summary.unparseable > 0 || done.size > 0) await ledger.finish();
    return summary;
  };
}

import {
  afterFailure,
  afterSuccess,
  type DeviceView,
  type HealthChange,
  type HealthRecord,
  healthFromFields,
  type Installation,
  installationFromHash,
  isEmpty,
  reconcile,
  type Reconciliation,
  redactMessage,
  syncReadsFrom,
} from '../platform';
import type { DeviceSnapshot } from '../connectors';
import type { ChainableCommander } from 'ioredis';
import { AppError, type Fence, type PipelineReplies } from '../runtime';
import { outcomeOf, type PrefetchedCall } from '../cloud';
import { callConnector, checkedContexts, connectorFor, contextFor } from './connector-context';
import { withSyncLock } from './with-sync-lock';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base } from '../runtime';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Cloud, 'clients'> &
  Pick<Platform, 'devices' | 'health' | 'installations'>;

export type SyncOutcome =
  | { kind: 'skipped'; reason: 'not_found' | 'not_linked' }
  | { kind: 'unchanged' }
  | { kind: 'applied'; changes: Reconciliation };

/** Reads a caller adds to the poll's first round trip (queued after the poll's own), with their replies. */
export interface ExtraReads {
  queue: (pipeline: ChainableCommander) => void;
  /** Called with the replies of what `queue` added, once the lock is taken. */
  take: (replies: PipelineReplies) => void;
}

/** The poll's own reads behind the lock's SET: the installation, the selection's key, the cursor's key, the sync-state hash's cursor and selection fields (one HMGET) and health. */
const SYNC_READS = 5;

/**
 * One poll of one installation: ask the connector (with the stored change cursor unless `full`),
 * reconcile against the child devices and selection, apply atomically with events, keep the cursor.
 * Safe to run twice or from two workers at once: the lock serialises, and a second run sees no diff.
 *
 * `connector` (the poll job names it when its producer knew it) lets the first cloud call's
 * admission and tokens ride in the lock's round trip too; `extra` adds a caller's reads there.
 */
export async function syncInstallation(
  services: Deps,
  installationId: string,
  options: { full?: boolean; connector?: string; extra?: ExtraReads } = {},
): Promise<SyncOutcome> {
  const expected = options.connector !== undefined ? services.connectors.get(options.connector) : undefined;
  let prefetch: { commands: number; take: (replies: PipelineReplies) => Promise<PrefetchedCall> } | undefined;
  let prefetched: PrefetchedCall | undefined;
  let attempts = 0;
  try {
    return await withSyncLock(
      services,
      installationId,
      async (replies, fence) => {
        // Taken first, so that a failed read below still gives the reserved slot back (finally).
        const prefetchCount = prefetch?.commands ?? 0;
        prefetched = await prefetch?.take(replies.slice(SYNC_READS, SYNC_READS + prefetchCount));
        const { installation, selected, cursor, health } = syncInputs(replies.slice(0, SYNC_READS), installationId);
        options.extra?.take(replies.slice(SYNC_READS + prefetchCount));
        if (!installation) return { kind: 'skipped', reason: 'not_found' };
        if (installation.status !== 'linked') return { kind: 'skipped', reason: 'not_linked' };
        const connector = connectorFor(services, installation);
        // A job that named another connector than the record's (it cannot change): its admission is not this call's.
        if (connector !== expected) prefetched?.dispose();
        return await pollLinked(services, installation, connector, { selected, cursor, health }, fence, options, prefetched);
      },
      {
        // What a poll reads first, queued behind the lock's SET: one round trip instead of four.
        reads: (pipeline) => {
          services.installations.queueRead(pipeline, installationId);
          services.devices.queueSyncReads(pipeline, installationId);
          services.health.queueRead(pipeline, installationId);
          // Only with the first attempt: while the lock is busy, retries (every 25 ms) reserve nothing.
          prefetch = expected && attempts++ === 0 ? services.clients.prefetch(pipeline, installationId, expected) : undefined;
          options.extra?.queue(pipeline);
        },
        // Not ours to poll now: the admission taken for its first call goes back.
        refused: (replies) => void prefetch?.take(replies.slice(SYNC_READS, SYNC_READS + prefetch.commands)).then((p) => p.dispose(), () => undefined),
      },
    );
  } finally {
    prefetched?.dispose();
  }
}

async function pollLinked(
  services: Deps,
  installation: Installation,
  connector: ReturnType<typeof connectorFor>,
  inputs: { selected: Set<string>; cursor: string | undefined; health: HealthRecord },
  fence: Fence,
  options: { full?: boolean },
  prefetched: PrefetchedCall | undefined,
): Promise<SyncOutcome> {
  const installationId = installation.id;
  const { selected, cursor, health } = inputs;
  const ctx = await contextFor(services, installation, connector, selected, prefetched);
  let result;
  try {
    result = await callConnector(connector, 'poll', () => connector.definition.poll.run(ctx, options.full ? undefined : cursor));
  } catch (err) {
    await recordFailure(services, installation, health, err, fence);
    throw err;
  }
  const healthChange = afterSuccess(health, services.now(), services.config.health);
  let changes: Reconciliation | undefined;
  try {
    changes = result.unchanged
      ? undefined
      : await applySnapshot(services, installationId, checkedContexts(connector, result.devices), result.complete, ctx.selected, fence);
  } catch (err) {
    // Stored devices that do not decode fail every poll until an operator acts: health shows why.
    if (err instanceof AppError && err.code === 'record_unreadable') await recordFailure(services, installation, health, err, fence);
    throw err;
  }
  // Only this path (under the lock) writes the cursor: an equal one needs no write. Health
  // rides along in the same fenced batch, so an unchanged poll usually writes nothing at all.
  const cursorChange = result.cursor !== cursor ? { cursor: result.cursor } : undefined;
  await services.devices.setCursor(installationId, cursorChange, fence, (batch) =>
    services.health.addTo(batch, installation, healthChange),
  );
  countTransition(services, installation, healthChange);
  return changes ? { kind: 'applied', changes } : { kind: 'unchanged' };
}

/** Pure: the installation, its selection, its stored cursor and its health from the replies of those reads. */
export function syncInputs(replies: PipelineReplies, installationId: string): {
  installation: Installation | undefined;
  selected: Set<string>;
  cursor: string | undefined;
  health: HealthRecord;
} {
  for (const [err] of replies) if (err) throw err;
  const [hash, members, cursorValue, syncFields, health] = replies.map(([, reply]) => reply);
  const { selected, cursor } = syncReadsFrom(
    installationId,
    members as string[] | null | undefined,
    cursorValue as Buffer | null | undefined,
    syncFields as (string | null)[] | null | undefined,
  );
  return {
    installation: installationFromHash((hash ?? {}) as Record<string, string>, installationId),
    selected,
    cursor,
    health: healthFromFields(health as (string | null)[] | undefined),
  };
}

/** Pure: what an operator may see of a failed poll (our own error codes; nothing from a stack or a header). */
export function failureSummary(err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: redactMessage(err.message) };
  return { code: 'unexpected', message: 'The poll failed unexpectedly; the worker log has the details.' };
}

/**
 * A failed poll counts toward `degraded`, unless it is a lost link (reauth handles that) or a
 * lost lock (not the cloud's fault). Recording must not hide the poll's own error.
 */
async function recordFailure(services: Deps, installation: Installation, health: HealthRecord, err: unknown, fence: Fence): Promise<void> {
  if (outcomeOf(err) === 'reauth_required' || (err instanceof AppError && err.code === 'lock_lost')) return;
  const change = afterFailure(health, failureSummary(err), services.now(), services.config.health);
  try {
    await services.health.commit(installation, change, fence);
    countTransition(services, installation, change);
  } catch (writeErr) {
    services.log.warn({ installationId: installation.id, reason: (writeErr as Error).message }, 'could not record poll failure');
  }
}

function countTransition(services: Pick<Deps, 'log' | 'metrics'>, installation: Installation, change: HealthChange): void {
  if (change.transition) {
    services.metrics.healthTransitions.inc({ connector: installation.connector, state: change.transition === 'degraded' ? 'degraded' : 'linked' });
  }
  if (change.transition === 'degraded') {
    services.log.warn({ installationId: installation.id, connector: installation.connector }, 'installation degraded');
  }
}

/** Reconcile a snapshot (complete or partial) and apply it, fenced by the sync lock the caller holds. */
export async function applySnapshot(
  services: Deps,
  installationId: string,
  snapshot: readonly (DeviceSnapshot | DeviceView)[],
  complete: boolean,
  selected: ReadonlySet<string>,
  fence: Fence,
): Promise<Reconciliation> {
  const changes = reconcile({
    installationId,
    current: await services.devices.byExternalId(installationId),
    snapshot,
    complete,
    selected,
    now: new Date(services.now()).toISOString(),
  });
  if (!isEmpty(changes)) await services.devices.apply(installationId, changes, fence);
  return changes;
}

import { type DeviceView, type Installation, installationFromHash, isEmpty, reconcile, type Reconciliation } from '../platform';
import type { DeviceSnapshot } from '../connectors';
import type { Fence, PipelineReplies, Services } from '../runtime';
import { callConnector, checkedContexts, connectorFor, contextFor } from './connector-context';
import { withSyncLock } from './with-sync-lock';

export type SyncOutcome =
  | { kind: 'skipped'; reason: 'not_found' | 'not_linked' }
  | { kind: 'unchanged' }
  | { kind: 'applied'; changes: Reconciliation };

/**
 * One poll of one installation: ask the connector (with the stored change cursor unless `full`),
 * reconcile against the child devices and selection, apply atomically with events, keep the cursor.
 * Safe to run twice or from two workers at once: the lock serialises, and a second run sees no diff.
 */
export async function syncInstallation(
  services: Services,
  installationId: string,
  options: { full?: boolean } = {},
): Promise<SyncOutcome> {
  const { keys } = services;
  return withSyncLock(
    services,
    installationId,
    async (replies, fence) => {
      const { installation, selected, cursor } = syncInputs(replies);
      if (!installation) return { kind: 'skipped', reason: 'not_found' };
      if (installation.status !== 'linked') return { kind: 'skipped', reason: 'not_linked' };
      const connector = connectorFor(services, installation);
      const ctx = await contextFor(services, installation, connector, selected);
      const result = await callConnector(connector, 'poll', () => connector.definition.poll.run(ctx, options.full ? undefined : cursor));
      if (result.unchanged) {
        // Only this path (under the lock) writes the cursor: an equal one needs no write.
        if (result.cursor !== cursor) await services.devices.setCursor(installationId, result.cursor, fence);
        return { kind: 'unchanged' };
      }
      const devices = checkedContexts(connector, result.devices);
      const changes = await applySnapshot(services, installationId, devices, result.complete, ctx.selected, fence);
      if (result.cursor !== cursor) await services.devices.setCursor(installationId, result.cursor, fence);
      return { kind: 'applied', changes };
    },
    {
      // What a poll reads first, queued behind the lock's SET: one round trip instead of four.
      reads: (pipeline) => {
        pipeline.hgetall(keys.installation(installationId));
        pipeline.smembers(keys.selection(installationId));
        pipeline.hget(keys.syncState(installationId), 'cursor');
      },
    },
  );
}

/** Pure: the installation, its selection and its stored cursor from the replies of those reads. */
export function syncInputs(replies: PipelineReplies): { installation: Installation | undefined; selected: Set<string>; cursor: string | undefined } {
  for (const [err] of replies) if (err) throw err;
  const [hash, members, cursor] = replies.map(([, reply]) => reply);
  return {
    installation: installationFromHash((hash ?? {}) as Record<string, string>),
    selected: new Set((members ?? []) as string[]),
    cursor: typeof cursor === 'string' ? cursor : undefined,
  };
}

/** Reconcile a snapshot (complete or partial) and apply it, fenced by the sync lock the caller holds. */
export async function applySnapshot(
  services: Services,
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

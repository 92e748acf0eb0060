import { isEmpty, reconcile, type DeviceView, type Reconciliation } from '../reconcile/diff';
import type { DeviceSnapshot } from '../devices/types';
import type { Services } from '../services';
import { connectorFor, contextFor } from './connector-context';
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
  return withSyncLock(services, installationId, async () => {
    const installation = await services.installations.get(installationId);
    if (!installation) return { kind: 'skipped', reason: 'not_found' };
    if (installation.status !== 'linked') return { kind: 'skipped', reason: 'not_linked' };
    const connector = connectorFor(services, installation);
    const ctx = await contextFor(services, installation, connector);
    const cursor = options.full ? undefined : await services.devices.getCursor(installationId);
    const result = await connector.definition.poll.run(ctx, cursor);
    if (result.unchanged) {
      await services.devices.setCursor(installationId, result.cursor);
      return { kind: 'unchanged' };
    }
    const changes = await applySnapshot(services, installationId, result.devices, result.complete, ctx.selected);
    await services.devices.setCursor(installationId, result.cursor);
    return { kind: 'applied', changes };
  });
}

/** Reconcile a snapshot (complete or partial) and apply it. Call with the sync lock held. */
export async function applySnapshot(
  services: Services,
  installationId: string,
  snapshot: readonly (DeviceSnapshot | DeviceView)[],
  complete: boolean,
  selected: ReadonlySet<string>,
): Promise<Reconciliation> {
  const changes = reconcile({
    installationId,
    current: await services.devices.byExternalId(installationId),
    snapshot,
    complete,
    selected,
    now: new Date(services.now()).toISOString(),
  });
  if (!isEmpty(changes)) await services.devices.apply(installationId, changes);
  return changes;
}

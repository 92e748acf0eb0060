import { AppError } from '../runtime';
import { outcomeOf } from '../cloud';
import type { ChildDevice, DiscoveredDevice } from '../connectors';
import { callConnector, checkedContexts, connectorFor, contextFor } from './connector-context';
import { applySnapshot, syncInstallation } from './sync-installation';
import { withSyncLock } from './with-sync-lock';
import { requireInstallation, requireLinked } from '../platform';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { Sync } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Cloud, 'clients'> &
  Pick<Platform, 'devices' | 'health' | 'installations'> &
  Pick<Sync, 'scheduler'>;

export async function discover(services: Deps, installationId: string): Promise<DiscoveredDevice[]> {
  const installation = await requireInstallation(services, installationId);
  requireLinked(installation);
  const connector = connectorFor(services, installation);
  const ctx = await contextFor(services, installation, connector);
  const devices = checkedContexts(connector, await callConnector(connector, 'discover', () => connector.definition.discover(ctx)));
  return devices.map(({ externalId, name, type }) => ({ externalId, name, type }));
}

/**
 * The user's choice of devices. Ids must be ones the cloud lists now. Deselected devices are
 * removed at once; newly selected ones are added with their state fetched at once. If that fetch
 * fails transiently the selection still stands and a poll is queued to add them.
 */
export async function updateSelection(
  services: Deps,
  installationId: string,
  externalIds: readonly string[],
): Promise<{ selected: string[]; synced: boolean }> {
  const unique = [...new Set(externalIds)];
  const available = new Set((await discover(services, installationId)).map((d) => d.externalId));
  const unknown = unique.filter((id) => !available.has(id));
  if (unknown.length > 0) {
    throw new AppError('bad_request', { message: `Unknown device ids: ${unknown.slice(0, 10).join(', ')}` });
  }
  await withSyncLock(services, installationId, async (_, fence) => {
    await services.devices.setSelection(installationId, unique, fence);
    // Removal of deselected devices needs no cloud call: a partial (empty) view removes only those.
    await applySnapshot(services, installationId, [], false, new Set(unique), fence);
  });
  try {
    await syncInstallation(services, installationId, { full: true });
    return { selected: unique, synced: true };
  } catch (err) {
    if (outcomeOf(err) !== 'retry') throw err;
    services.log.warn({ installationId, reason: (err as Error).message }, 'initial state fetch failed; poll queued');
    await services.scheduler.pollNow(installationId, 'selection');
    return { selected: unique, synced: false };
  }
}

/** Explicit delete: the device goes and is deselected, so the next poll does not bring it back. */
export async function deleteDevice(services: Deps, installationId: string, deviceId: string): Promise<void> {
  await requireInstallation(services, installationId);
  await withSyncLock(services, installationId, async (_, fence) => {
    const device = await services.devices.get(installationId, deviceId);
    if (!device) throw new AppError('not_found', { message: 'No such device.' });
    await services.devices.apply(
      installationId,
      { add: [], remove: [device], rename: [], update: [] },
      fence,
      { deselect: [device.externalId] },
    );
  });
}

/**
 * Sets a device's user label under the sync lock: a poll running meanwhile writes the device it read
 * before, so without the lock it could put the old label back.
 */
export async function setDeviceLabel(services: Deps, installationId: string, deviceId: string, label: string): Promise<ChildDevice> {
  await requireInstallation(services, installationId);
  return withSyncLock(services, installationId, async (_, fence) => {
    const device = await services.devices.get(installationId, deviceId);
    if (!device) throw new AppError('not_found', { message: 'No such device.' });
    return services.devices.setLabel(installationId, device, label, fence);
  });
}

// Re-exported so the route module has one import for device-selection concerns.
export { contextFor };

import { randomUUID } from 'node:crypto';
import type { DeviceSnapshot } from '../../src/connectors/device-types';
import { hashToken, randomToken } from '../../src/runtime/secrets/crypto';
import type { Services } from '../../src/runtime/services';
import type { TokenSet } from '../../src/cloud/provider-token-store';
import type { FakeEcobee } from '../../connectors/ecobee/fake/server';
import { applySnapshot, syncInstallation } from '../../src/sync/sync-installation';
import { fakeTokens } from './ecobee';
import { withSyncLock } from '../../src/sync/with-sync-lock';
import { afterSuccess, healthFromFields } from '../../src/platform';

/**
 * Linked installations written straight through the stores (the browser flow would take hours for
 * 100,000): the same records createInstallation and the OAuth callback leave behind.
 */
export async function seedLinkedInstallation(
  services: Services,
  input: { connector: string; locationId: string; tokens?: TokenSet; devices?: DeviceSnapshot[] },
): Promise<string> {
  const id = randomUUID();
  const created = await services.installations.create({
    id,
    connector: input.connector,
    locationId: input.locationId,
    singleInstance: false,
    tokenHash: hashToken(randomToken()),
    now: new Date(services.now()),
  });
  if (!created.created) throw new Error(`seeding ${input.locationId} failed`);
  if (input.tokens) await services.tokens.put(id, input.tokens);
  await services.installations.setStatus(id, 'linked', new Date(services.now()));
  const devices = input.devices ?? [];
  if (devices.length) {
    const selected = devices.map((d) => d.externalId);
    await withSyncLock(services, id, async (_, fence) => {
      await services.devices.setSelection(id, selected, fence);
      await applySnapshot(services, id, devices, true, new Set(selected), fence);
    });
  }
  return id;
}

/** Runs `task` for 0..n-1 with at most `width` in flight. */
export async function inParallel(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** One ecobee installation linked and polled for real: the devices and cursor the fleet copies. */
export interface FleetTemplate {
  first: string;
  devices: DeviceSnapshot[];
  cursor: string;
}

export async function seedTemplate(services: Services, fake: FakeEcobee): Promise<FleetTemplate> {
  const first = await seedLinkedInstallation(services, { connector: 'ecobee', locationId: 'loc-0', tokens: fakeTokens(fake) });
  await withSyncLock(services, first, (_, fence) => services.devices.setSelection(first, fake.thermostats().map((t) => t.identifier), fence));
  await syncInstallation(services, first);
  const devices: DeviceSnapshot[] = (await services.devices.list(first)).map((d) => ({ externalId: d.externalId, name: d.name, type: d.type, attributes: d.attributes }));
  const cursor = await services.devices.getCursor(first);
  if (devices.length === 0 || cursor === undefined) throw new Error('the first poll produced no devices or cursor');
  return { first, devices, cursor };
}

/**
 * `n` linked, polled, scheduled installations written as copies of the template (seeding them
 * through the cloud would take hours at 100,000). Returns their ids.
 */
export async function seedCopies(
  services: Services,
  fake: FakeEcobee,
  template: FleetTemplate,
  n: number,
  /** How each copy's poll schedule is written (the memory bench writes the earlier form beside today's). */
  schedule: (id: string) => Promise<void> = (id) => services.scheduler.schedule(id, 180_000, 'ecobee'),
): Promise<string[]> {
  const ids: string[] = [];
  await inParallel(n, 200, async (i) => {
    const id = await seedLinkedInstallation(services, { connector: 'ecobee', locationId: `loc-${i + 1}`, tokens: fakeTokens(fake), devices: template.devices });
    // Polled just now, as the template was: health says so too, so the bench's polls are the steady state.
    const installation = await services.installations.get(id);
    const polled = afterSuccess(healthFromFields(undefined), services.now(), services.config.health);
    await withSyncLock(services, id, (_, fence) =>
      services.devices.setCursor(id, { cursor: template.cursor }, fence, (batch) => {
        if (installation) services.health.addTo(batch, installation, polled);
      }),
    );
    await schedule(id);
    ids.push(id);
  });
  return ids;
}

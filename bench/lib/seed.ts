import { randomUUID } from 'node:crypto';
import type { DeviceSnapshot } from '../../src/connectors/device-types';
import { hashToken, randomToken } from '../../src/runtime/secrets/crypto';
import type { Services } from '../../src/runtime/services';
import type { TokenSet } from '../../src/cloud/provider-token-store';
import { applySnapshot } from '../../src/sync/sync-installation';
import { withSyncLock } from '../../src/sync/with-sync-lock';

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

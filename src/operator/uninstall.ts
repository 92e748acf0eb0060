import { withSyncLock } from '../sync';
import { ingestRecords, unsubscribeOnUninstall } from '../ingest';
import { requireInstallation } from '../platform';
import type { Cloud } from '../cloud';
import type { Ingest } from '../ingest';
import type { Linking } from '../linking';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { Sync } from '../sync';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'now' | 'redis'> &
  Pick<Cloud, 'clients' | 'tokens' | 'revocations'> &
  Pick<Ingest, 'callbackTokens' | 'webhooks'> &
  Pick<Linking, 'states'> &
  Pick<Platform, 'devices' | 'events' | 'installations'> &
  Pick<Sync, 'scheduler'>;

/**
 * Uninstall: every step runs even if one fails (like BullMQ's close), and the record goes last, so
 * a failed uninstall can be retried. Devices are removed with events; schedules and job records
 * are purged; the cloud tokens are deleted; deleting the record revokes the installation's token.
 */
/**
 * Best effort and in the background: a cloud that documents a revocation endpoint is asked to
 * revoke the tokens by a job with retries. The job carries the stored ciphertext as it is (sealed,
 * bound to the installation id), so nothing usable sits in the queue and the request path never
 * decrypts; a failure to queue is logged and the uninstall goes on.
 */
async function queueRevocation(services: Deps, installationId: string, connector: string): Promise<void> {
  if (!services.connectors.get(connector)?.definition.provider.revocation) return;
  try {
    const sealedTokens = await services.tokens.getSealed(installationId);
    if (sealedTokens !== undefined) await services.revocations.enqueue({ installationId, connector, sealedTokens });
  } catch (err) {
    services.log.warn({ installationId, reason: (err as Error).message }, 'token revocation not queued');
  }
}

export async function uninstall(services: Deps, installationId: string): Promise<void> {
  const installation = await requireInstallation(services, installationId);
  const failures: unknown[] = [];
  const step = async (name: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      failures.push(err);
      services.log.warn({ installationId, step: name, reason: (err as Error).message }, 'uninstall step failed');
    }
  };
  // Best effort: a cloud that is down must not block uninstall; its later callbacks get 401.
  await unsubscribeOnUninstall(services, installation).catch((err: unknown) =>
    services.log.warn({ installationId, reason: (err as Error).message }, 'webhook unsubscribe failed'),
  );
  await step('purge jobs', () => services.scheduler.purge(installationId));
  await step('purge webhook jobs', () => services.webhooks.purge(installationId));
  // A flow started before uninstall could not complete anyway; its states would only linger.
  await step('drop linking states', () => services.states.forgetInstallation(installationId));
  await withSyncLock(services, installationId, async (_, fence) => {
    await step('remove devices', async () => {
      const devices = await services.devices.list(installationId);
      if (devices.length) {
        const removal = { add: [], remove: devices, rename: [], update: [] };
        await services.devices.apply(installationId, removal, fence, { connector: installation.connector });
      }
    });
    // The device removal above is fenced; the rest is not, so a lock lost by now stops it here.
    fence.assertHeld();
    // Before the tokens go: the revocation job gets their ciphertext, unopened (see queueRevocation).
    await queueRevocation(services, installationId, installation.connector);
    await step('delete tokens', () => services.tokens.delete(installationId));
    await step('record event', () =>
      services.events.append([
        { type: 'installation.uninstalled', installationId, data: { connector: installation.connector, locationId: installation.locationId } },
      ]),
    );
    if (failures.length > 0) throw failures[0];
    await services.installations.delete(installation);
    // The token went with the record; hosts that cached it must stop accepting it now.
    await services.callbackTokens.announce(installationId);
  });
  // Whatever is left that names the installation (events stream, selection, cursor, locks), each
  // family through its own repository.
  await services.events.forgetInstallation(installationId);
  await services.devices.forgetInstallation(installationId);
  await services.clients.forgetRefreshLock(installationId);
  await ingestRecords(services).forgetInstallation(installationId);
  const enabled = services.connectors.get(installation.connector);
  if (enabled) await services.clients.forget(installationId, enabled);
  // Jobs enqueued by a poll that was running while we purged.
  await services.scheduler.purge(installationId);
}

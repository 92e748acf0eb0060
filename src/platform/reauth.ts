import type { Base } from '../runtime';
import type { Platform } from './build';

/**
 * What marking needs. The poll scheduler (sync) and the token store (cloud) sit above platform, so
 * they are named by the one method each that is used; composition hands the real ones in.
 */
type Deps = Pick<Base, 'log' | 'metrics' | 'now'> &
  Pick<Platform, 'installations' | 'events' | 'health'> & {
    tokens: { deleteIf(installationId: string, expected: string): Promise<boolean> };
    scheduler: { unschedule(installationId: string): Promise<unknown> };
  };

/**
 * The account link is gone for good (refresh refused, or the cloud says the grant was revoked):
 * mark the installation, stop its scheduled work, and tell whoever reads events. Idempotent: only
 * the transition out of `linked` records an event (and counts an unreadable secret); true when this call made it.
 */
export async function markReauthRequired(
  services: Deps,
  installationId: string,
  reason: string,
  refusedTokens: string | undefined,
): Promise<boolean> {
  // The refused grant is useless: drop it (only if still the one refused), so later calls fail
  // fast as "not linked" instead of trying it again. Devices and selection stay for the re-link.
  if (refusedTokens !== undefined) await services.tokens.deleteIf(installationId, refusedTokens);
  const installation = await services.installations.get(installationId);
  if (!installation || installation.status === 'reauth_required') return false;
  if (!(await services.installations.changeStatus(installationId, 'reauth_required', new Date(services.now())))) return false;
  await services.health.markReauth(installationId, reason);
  services.metrics.healthTransitions.inc({ connector: installation.connector, state: 'reauth_required' });
  await services.scheduler.unschedule(installationId);
  await services.events.append([{ type: 'installation.reauthRequired', installationId, data: { reason, connector: installation.connector } }]);
  services.log.warn({ installationId, connector: installation.connector, reason }, 'installation needs re-authorization');
  if (reason === 'secret_unreadable') services.metrics.secretsUnreadable.inc({ connector: installation.connector });
  return true;
}

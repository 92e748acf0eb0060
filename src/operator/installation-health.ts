import { healthView, type Installation, type Platform } from '../platform';
import type { Sync } from '../sync';

/** The health contract of issue 17 (`GET /api/installations/:id` → `health`). */
export interface InstallationHealth {
  state: 'pending' | 'linked' | 'degraded' | 'reauth_required';
  reason?: string | undefined;
  lastSuccessAt?: string | undefined;
  lastError?: { code: string; message: string; at: string } | undefined;
  nextPollAt?: string | undefined;
}

export const HEALTH_STATES: readonly InstallationHealth['state'][] = ['pending', 'linked', 'degraded', 'reauth_required'];

/**
 * The one place the operator pages read an installation's health: the same view as
 * `GET /api/installations/:id` (platform's health record, the poll schedule's next run), with
 * `pending` for an installation that was never linked. `nextPollAt` costs a read per installation,
 * so a list asks for it only for the rows it shows.
 */
export async function readHealth(
  services: Pick<Platform, 'health'> & Pick<Sync, 'scheduler'>,
  installation: Installation,
  withNextPoll = true,
): Promise<InstallationHealth> {
  const [record, next] = await Promise.all([
    services.health.read(installation.id),
    withNextPoll ? services.scheduler.nextPollAt(installation.id) : undefined,
  ]);
  const view = healthView(installation.status, record, next?.toISOString());
  if (!view) return { state: 'pending' };
  return {
    state: view.state,
    reason: view.reason,
    lastSuccessAt: view.lastSuccessAt ?? undefined,
    lastError: view.lastError,
    nextPollAt: view.nextPollAt ?? undefined,
  };
}

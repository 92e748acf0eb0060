import type { Installation } from '../platform';

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
 * The one place the operator pages read an installation's health. Today the read model has only
 * `status` (linked / reauth_required / pending); the health fields (`health: {state, reason?,
 * lastSuccessAt, lastError?, nextPollAt}`) are being added in parallel. When the installation
 * carries them they are used as they are; until then health is derived from the status, with no
 * last success, error or next poll known. Point this function at the new read model at merge.
 */
export function healthOf(installation: Installation & { health?: InstallationHealth | undefined }): InstallationHealth {
  if (installation.health) return installation.health;
  return { state: installation.status };
}

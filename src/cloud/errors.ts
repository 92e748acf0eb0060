import { AppError } from '../runtime';

/** How a worker should react to a failed cloud call (the three outcomes of HA's coordinator). */
export type FailureOutcome = 'retry' | 'reauth_required' | 'fatal';

export function outcomeOf(err: unknown): FailureOutcome {
  if (err instanceof AppError) {
    // secret_unreadable: no configured key opens the stored tokens; retrying cannot change that.
    if (err.code === 'reauth_required' || err.code === 'not_linked' || err.code === 'secret_unreadable') return 'reauth_required';
    if (err.code === 'cloud_unavailable' || err.code === 'service_unavailable' || err.code === 'lock_lost' || err.code === 'connector_error') return 'retry';
    return 'fatal';
  }
  return 'retry';
}

export const cloudUnavailable = (message: string, cause?: unknown): AppError =>
  new AppError('cloud_unavailable', { message, cause });
export const cloudError = (message: string, cause?: unknown): AppError => new AppError('cloud_error', { message, cause });
export const reauthRequired = (message: string): AppError => new AppError('reauth_required', { message });

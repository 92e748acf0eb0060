import { AppError } from '../runtime';
import type { Installation } from './installation-store';
import type { Platform } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Platform, 'installations'>;

export async function requireInstallation(services: Deps, id: string): Promise<Installation> {
  const installation = await services.installations.get(id);
  if (!installation) throw new AppError('not_found', { message: 'No such installation.' });
  return installation;
}

export function requireLinked(installation: Installation): void {
  if (installation.status === 'pending') throw new AppError('not_linked');
  if (installation.status === 'reauth_required') {
    throw new AppError('reauth_required', { message: 'The account link must be renewed before the cloud can be reached.' });
  }
}

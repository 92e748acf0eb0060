import { AppError, tokenMatchesHash } from '../runtime';
import type { Installation, InstallationStore } from './installation-store';

/**
 * The installation's own access token guards its setup and linking pages. Unknown installation,
 * wrong connector and wrong token all answer the same, so ids cannot be probed.
 */
export async function authenticateInstallation(
  installations: InstallationStore,
  input: { connector: string; appId: unknown; accessToken: unknown },
): Promise<Installation> {
  const { appId, accessToken } = input;
  if (typeof appId !== 'string' || typeof accessToken !== 'string' || appId.length > 100 || accessToken.length > 200) {
    throw new AppError('unauthorized', { message: 'This link is missing its access token or is not valid.' });
  }
  const found = await installations.getWithTokenHash(appId);
  // Compare even when not found, so the answer takes the same time either way.
  const matches = tokenMatchesHash(accessToken, found?.tokenHash ?? 'no-installation');
  if (!found || !matches || found.installation.connector !== input.connector) {
    throw new AppError('unauthorized', { message: 'This link is not valid or has been revoked.' });
  }
  return found.installation;
}

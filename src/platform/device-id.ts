import { createHash } from 'node:crypto';

/**
 * The platform id of a child device: stable across renames, unique per installation, URL-safe,
 * and not guessable from the cloud id alone (a SmartThings DNI without the parent's id leaking).
 */
export function deviceIdFor(installationId: string, externalId: string): string {
  return createHash('sha256').update(`${installationId}\u0000${externalId}`).digest('base64url').slice(0, 22);
}

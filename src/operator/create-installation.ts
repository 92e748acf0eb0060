import { randomUUID } from 'node:crypto';
import { AppError, hashToken, randomToken } from '../runtime';
import { setupUrl } from '../linking';
import type { Installation } from '../platform';
import type { Platform } from '../platform';
import type { Base } from '../runtime';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'now'> & Pick<Platform, 'installations'>;

export interface CreatedInstallation extends Installation {
  /** Returned once, here; only its hash is stored. */
  accessToken: string;
  setupUrl: string;
}

export async function createInstallation(
  services: Deps,
  input: { connector: string; locationId: string },
): Promise<CreatedInstallation> {
  const connector = services.connectors.get(input.connector);
  if (!connector) {
    throw new AppError('bad_request', { message: `Connector "${input.connector}" is not enabled here.` });
  }
  const accessToken = randomToken();
  const result = await services.installations.create({
    id: randomUUID(),
    connector: input.connector,
    locationId: input.locationId,
    singleInstance: connector.definition.singleInstance,
    tokenHash: hashToken(accessToken),
    now: new Date(services.now()),
  });
  if (!result.created) {
    throw new AppError('already_installed', { details: { installationId: result.existingId } });
  }
  const { installation } = result;
  return {
    ...installation,
    accessToken,
    setupUrl: setupUrl(services.config.publicUrl, installation.connector, installation.id, accessToken),
  };
}

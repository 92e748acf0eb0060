import type { ConnectorContext } from '../connectors';
import type { EnabledConnector } from '../runtime';
import type { Installation } from '../platform';
import { AppError } from '../runtime';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base } from '../runtime';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'connectors' | 'log'> & Pick<Cloud, 'clients'> & Pick<Platform, 'devices'>;

export function connectorFor(services: Deps, installation: Installation): EnabledConnector {
  const connector = services.connectors.get(installation.connector);
  if (!connector) {
    throw new AppError('service_unavailable', { message: `Connector "${installation.connector}" is not enabled here.` });
  }
  return connector;
}

export async function contextFor(
  services: Deps,
  installation: Installation,
  connector: EnabledConnector,
  /** The selection, when the caller already read it (a poll reads it with the lock). */
  selected?: ReadonlySet<string>,
): Promise<ConnectorContext> {
  return {
    http: services.clients.for(installation.id, connector),
    log: services.log.child({ connector: connector.definition.name, installationId: installation.id }),
    installationId: installation.id,
    selected: selected ?? (await services.devices.selected(installation.id)),
  };
}

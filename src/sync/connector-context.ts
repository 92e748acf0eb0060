import type { ConnectorContext } from '../connectors';
import type { EnabledConnector, Services } from '../runtime';
import type { Installation } from '../platform';
import { AppError } from '../runtime';

export function connectorFor(services: Services, installation: Installation): EnabledConnector {
  const connector = services.connectors.get(installation.connector);
  if (!connector) {
    throw new AppError('service_unavailable', { message: `Connector "${installation.connector}" is not enabled here.` });
  }
  return connector;
}

export async function contextFor(
  services: Services,
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

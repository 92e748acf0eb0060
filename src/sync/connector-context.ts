import { CloudAnswerError, CommandArgumentError, type ConnectorContext, type DeviceContext, type DiscoveredDevice } from '../connectors';
import type { EnabledConnector } from '../runtime';
import type { Installation } from '../platform';
import { AppError, isRedisUnavailable } from '../runtime';
import type { Cloud, PrefetchedCall } from '../cloud';
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
  /** The first call's admission and tokens, when the caller read them (a poll, with the lock). */
  prefetched?: PrefetchedCall,
): Promise<ConnectorContext> {
  return {
    http: services.clients.for(installation.id, connector, prefetched),
    log: services.log.child({ connector: connector.definition.name, installationId: installation.id }),
    installationId: installation.id,
    selected: selected ?? (await services.devices.selected(installation.id)),
    contexts: connector.definition.deviceContext ? await storedContexts(services, installation.id) : new Map(),
  };
}

/**
 * Runs a connector's handler and types whatever it throws (src/connectors/connector-errors.ts):
 * our own errors pass through, a CommandArgumentError is the caller's 400, anything else is a 502
 * naming the connector rather than a 500.
 */
export async function callConnector<T>(connector: EnabledConnector, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    // Ours (the authorized client's typed errors, Redis going away under ctx.http) pass through.
    if (err instanceof AppError || isRedisUnavailable(err)) throw err;
    const name = connector.definition.name;
    const details = { connector: name };
    if (err instanceof CommandArgumentError) throw new AppError('invalid_arguments', { message: err.message, details, cause: err });
    if (err instanceof CloudAnswerError) throw new AppError('cloud_error', { message: `${name} ${what}: ${err.message}`, details, cause: err });
    // The reason stays in `cause` (logged), out of the answer: it may quote the cloud's payload.
    throw new AppError('connector_error', { message: `Connector "${name}" failed in ${what}.`, details, cause: err });
  }
}

async function storedContexts(services: Pick<Platform, 'devices'>, installationId: string): Promise<Map<string, DeviceContext>> {
  const contexts = new Map<string, DeviceContext>();
  for (const device of await services.devices.list(installationId)) if (device.context) contexts.set(device.externalId, device.context);
  return contexts;
}

/**
 * The devices a connector reported, each context checked against its `deviceContext` schema: a
 * context the schema refuses (or one from a connector without a schema) is the connector's bug,
 * never stored.
 */
export function checkedContexts<D extends DiscoveredDevice>(connector: EnabledConnector, devices: readonly D[]): D[] {
  const schema = connector.definition.deviceContext;
  return devices.map((device) => {
    if (device.context === undefined) return device;
    const parsed = schema?.safeParse(device.context);
    if (!parsed?.success) {
      const name = connector.definition.name;
      throw new AppError('connector_error', {
        message: `Connector "${name}" reported device ${device.externalId} with a context ${schema ? 'its deviceContext schema refuses' : 'but declares no deviceContext schema'}.`,
        details: { connector: name },
      });
    }
    return { ...device, context: parsed.data };
  });
}

/** A command's target with its stored context checked again: the schema may have changed since. */
export function commandTarget<D extends { externalId: string; context?: DeviceContext | undefined }>(connector: EnabledConnector, device: D): D {
  const schema = connector.definition.deviceContext;
  if (!schema) return device;
  const parsed = schema.safeParse(device.context);
  if (!parsed.success) {
    throw new AppError('conflict', { message: `Device ${device.externalId} has no usable ${connector.definition.name} context yet; try again after the next poll.` });
  }
  return { ...device, context: parsed.data };
}

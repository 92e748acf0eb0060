import { AppError } from '../runtime';
import { requireInstallation, requireLinked } from '../platform';
import { callConnector, commandTarget, connectorFor, contextFor } from './connector-context';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { Sync } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'connectors' | 'log'> &
  Pick<Cloud, 'clients'> &
  Pick<Platform, 'devices' | 'installations'> &
  Pick<Sync, 'scheduler'>;

/** Validates and runs one command through the connector (and so the authorized client), then asks for a sync. */
export async function runCommand(
  services: Deps,
  input: { installationId: string; deviceId: string; command: string; arguments: unknown },
): Promise<void> {
  const installation = await requireInstallation(services, input.installationId);
  const device = await services.devices.get(installation.id, input.deviceId);
  if (!device) throw new AppError('not_found', { message: 'No such device.' });
  const connector = connectorFor(services, installation);
  const command = Object.hasOwn(connector.definition.commands, input.command)
    ? connector.definition.commands[input.command]
    : undefined;
  if (!command || (command.types && !command.types.includes(device.type))) {
    throw new AppError('unknown_command', { message: `Unknown command "${input.command}" for a ${device.type}.` });
  }
  const args = command.input.safeParse(input.arguments ?? []);
  if (!args.success) {
    const detail = args.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
    throw new AppError('invalid_arguments', { message: `Invalid arguments for ${input.command}: ${detail}` });
  }
  requireLinked(installation);
  const ctx = await contextFor(services, installation, connector);
  const target = commandTarget(connector, device);
  await callConnector(connector, `command ${input.command}`, () => command.run(ctx, target, args.data));
  // The cloud applies commands asynchronously; a poll shortly after picks up the new state.
  await services.scheduler.pollNow(installation.id, 'command');
}

import type { ConnectorContext, DiscoveredDevice, PollDefinition, PollResult } from '../../src/connectors/sdk';
import { getSummary, getThermostats } from './api';
import { summaryCursor, toDiscovered, toSnapshot } from './devices';

export async function discover(ctx: ConnectorContext): Promise<DiscoveredDevice[]> {
  const list = await getThermostats(ctx.http, { selectionType: 'registered', selectionMatch: '' });
  return list.map(toDiscovered);
}

/**
 * "Use /thermostatSummary to poll for changes; DO NOT poll using /thermostat" (§8): one summary
 * call per poll, and the full fetch only when a revision moved.
 */
async function run(ctx: ConnectorContext, cursor: string | undefined): Promise<PollResult> {
  const next = summaryCursor(await getSummary(ctx.http));
  if (cursor !== undefined && cursor === next) return { unchanged: true, cursor: next };
  const list = await getThermostats(ctx.http, {
    selectionType: 'registered',
    selectionMatch: '',
    includeRuntime: true,
    includeSettings: true,
    includeEquipmentStatus: true,
  });
  return { unchanged: false, devices: list.map(toSnapshot), complete: true, cursor: next };
}

/** ecobee's data moves at most every 3 minutes, so polling faster only costs quota (§8). */
export const poll: PollDefinition = { intervalMs: 180_000, run };

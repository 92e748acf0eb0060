import type { ConnectorContext, DiscoveredDevice, PollDefinition, PollResult } from '../../src/connectors/sdk';
import { getLocations } from './api';
import { snapshotAll, toDiscovered } from './devices';

export async function discover(ctx: ConnectorContext): Promise<DiscoveredDevice[]> {
  return (await getLocations(ctx.http)).flatMap(toDiscovered);
}

/**
 * GET /v2/locations carries every thermostat with its state (§4): one call per poll, always a
 * complete listing. Honeywell offers no change marker and no webhooks to ordinary apps (§6).
 */
async function run(ctx: ConnectorContext): Promise<PollResult> {
  return { unchanged: false, devices: snapshotAll(await getLocations(ctx.http)), complete: true, cursor: undefined };
}

/** "Poll device status every 5 minutes for up to 20 devices" (developer FAQ, §6). */
export const poll: PollDefinition = { intervalMs: 300_000, run };

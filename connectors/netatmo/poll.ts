import type { ConnectorContext, DiscoveredDevice, PollDefinition, PollResult } from '../../src/connectors/sdk';
import { homeStatus, homesData } from './api';
import { discoverHome, snapshotHome } from './devices';

export async function discover(ctx: ConnectorContext): Promise<DiscoveredDevice[]> {
  const data = await homesData(ctx.http);
  return data.homes.flatMap(discoverHome);
}

/**
 * homesdata (names: renames live only there, §2.3) then homestatus per home with rooms. Netatmo
 * offers no change marker, so every poll is a full, complete listing; any failed call throws and
 * nothing is removed.
 */
async function run(ctx: ConnectorContext): Promise<PollResult> {
  const data = await homesData(ctx.http);
  const devices = [];
  for (const home of data.homes) {
    if (discoverHome(home).length === 0) continue;
    devices.push(...snapshotHome(home, await homeStatus(ctx.http, home.id)));
  }
  return { unchanged: false, devices, complete: true, cursor: undefined };
}

/** HA polls homestatus every 5 minutes (§5); webhooks bring setpoint changes sooner. */
export const poll: PollDefinition = { intervalMs: 300_000, run };

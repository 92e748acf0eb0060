import { pollIntervalMs } from '../runtime';
import { pollSchedulerId } from './poll-queue';
import type { Base } from '../runtime';
import type { Platform } from '../platform';
import type { Sync } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors'> &
  Pick<Platform, 'installations'> &
  Pick<Sync, 'scheduler'>;

export interface ScheduleRepair {
  /** Linked installations whose connector this process runs: each has exactly one schedule now. */
  linked: number;
  /** Schedules that were missing and were added. */
  added: number;
  /** Schedules whose period differed from the configured one (POLL_INTERVAL_S changed). */
  updated: number;
  /** Schedules whose installation is gone or no longer linked. */
  removed: number;
}

/**
 * A start-up step of every process that runs workers (and so of the demo): after a crash between
 * writing an installation and its schedule, a Redis restored from an older snapshot, or a restart
 * against a Redis that outlived the process, every linked installation gets its one poll schedule
 * back and schedules left by deleted or unlinked installations go. Schedule ids derive from the
 * installation id, so "one" holds by construction; running it on several processes at once is
 * harmless (upserts of the same id, removals of the same id).
 */
export async function repairPollSchedules(services: Deps): Promise<ScheduleRepair> {
  const result: ScheduleRepair = { linked: 0, added: 0, updated: 0, removed: 0 };
  const installations = await services.installations.list();
  const linked = new Set(installations.filter((i) => i.status === 'linked').map((i) => pollSchedulerId(i.id)));

  for (const installation of installations) {
    if (installation.status !== 'linked') continue;
    // A connector this process does not run has no interval here; its schedule is left as it is.
    const connector = services.connectors.get(installation.connector);
    if (!connector) continue;
    result.linked++;
    const every = pollIntervalMs(services, connector);
    const current = await services.scheduler.scheduleOf(installation.id);
    // A schedule from before polls named their connector is rewritten too (one round trip less per poll).
    if (current?.every === every && current.connector === installation.connector) continue;
    await services.scheduler.schedule(installation.id, every, installation.connector);
    if (current === undefined) result.added++;
    else result.updated++;
  }

  // Collected first: removing while paging would shift the pages under the loop.
  const unknown = [];
  for await (const schedule of services.scheduler.schedules()) if (!linked.has(schedule.id)) unknown.push(schedule);
  for (const schedule of unknown) {
    // Linked since the list above was read (a callback on another host): not an orphan.
    if (schedule.installationId !== undefined) {
      const now = await services.installations.get(schedule.installationId);
      if (now?.status === 'linked' && pollSchedulerId(now.id) === schedule.id) continue;
    }
    await services.scheduler.removeSchedule(schedule.id);
    result.removed++;
  }
  return result;
}

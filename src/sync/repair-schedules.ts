import { pollIntervalMs } from '../runtime';
import { dueTooLate, firstDue } from './poll-schedule-math';
import type { Base } from '../runtime';
import type { Platform } from '../platform';
import type { Sync } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'now'> &
  Pick<Platform, 'installations'> &
  Pick<Sync, 'scheduler'>;

export interface ScheduleRepair {
  /** Linked installations whose connector this process runs: each has exactly one schedule now. */
  linked: number;
  /** Schedules that were missing and were added. */
  added: number;
  /** Schedules due later than the configured interval allows (POLL_INTERVAL_S changed): moved to their next slot. */
  updated: number;
  /** Schedules whose installation is gone or no longer linked. */
  removed: number;
  /** BullMQ job schedulers of the form before issue 16.4 converted to schedule entries (or removed, for orphans). */
  migrated: number;
}

/** A claimed entry's lease lasts at most this long (poll-dispatcher.ts's default); a due time within it is not "too late". */
const LEASE_MARGIN_MS = 60_000;

/**
 * A start-up step of every process that runs workers (and so of the demo): after a crash between
 * writing an installation and its schedule, a Redis restored from an older snapshot, or a restart
 * against a Redis that outlived the process, every linked installation gets its one poll schedule
 * back, schedules left by deleted or unlinked installations go, and BullMQ job schedulers written
 * before issue 16.4 become schedule entries (keeping their next run). Entries are keyed by the
 * installation id, so "one" holds by construction; running it on several processes at once is
 * harmless (writes of the same entry, removals of the same entry).
 */
export async function repairPollSchedules(services: Deps): Promise<ScheduleRepair> {
  const result: ScheduleRepair = { linked: 0, added: 0, updated: 0, removed: 0, migrated: 0 };
  const { scheduler } = services;
  const installations = await services.installations.list();
  const linked = new Map(installations.filter((i) => i.status === 'linked').map((i) => [i.id, i]));

  // First the old form: each scheduler becomes an entry due at its next run, then goes with its next job.
  const legacy = [];
  for await (const schedule of scheduler.legacySchedules()) legacy.push(schedule);
  for (const schedule of legacy) {
    const installation = schedule.installationId === undefined ? undefined : linked.get(schedule.installationId);
    const connector = installation?.connector;
    if (installation && connector !== undefined && services.connectors.has(connector) && !(await scheduler.isScheduled(installation.id))) {
      await scheduler.scheduleAt(installation.id, connector, schedule.next ?? firstDue(services.now(), scheduler.intervals.get(connector) ?? 1, installation.id));
    } else if (installation && connector !== undefined && !services.connectors.has(connector)) {
      // A connector this process does not run: a process that runs it migrates it.
      continue;
    }
    await scheduler.removeLegacySchedule(schedule.id, schedule.next);
    result.migrated++;
  }

  for (const installation of linked.values()) {
    // A connector this process does not run has no interval here; its schedule is left as it is.
    const connector = services.connectors.get(installation.connector);
    if (!connector) continue;
    result.linked++;
    const every = pollIntervalMs(services, connector);
    const current = await scheduler.scheduleOf(installation.id);
    if (current === undefined) {
      await scheduler.schedule(installation.id, every, installation.connector);
      result.added++;
    } else if (dueTooLate(current.due, services.now(), every, LEASE_MARGIN_MS)) {
      // Moved only if still there: an uninstall meanwhile must not get it back.
      if (await scheduler.reschedule(installation.id, current.connector, firstDue(services.now(), every, installation.id))) result.updated++;
    }
  }

  // Collected first: removing while scanning could make the scan repeat entries.
  const unknown = new Map<string, string>();
  for await (const schedule of scheduler.schedules()) if (!linked.has(schedule.installationId)) unknown.set(schedule.installationId, schedule.connector);
  for (const [installationId, connector] of unknown) {
    // Linked since the list above was read (a callback on another host): not an orphan.
    const now = await services.installations.get(installationId);
    if (now?.status === 'linked' && now.connector === connector) continue;
    await scheduler.removeSchedule(installationId, connector);
    result.removed++;
  }
  return result;
}

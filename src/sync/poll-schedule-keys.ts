import type { Keys } from '../runtime';
/**
 * Key names of the poll schedules (poll-schedule-store.ts only): one sorted set per partition and
 * connector, member the installation id, score its next due time (ms). In the partition's slot,
 * so a dispatcher claims every connector's due entries of one partition in one script; per
 * connector, so the set says which connector (and so which interval) its members poll with, and
 * a process dispatches only the connectors it runs.
 */
export function pollScheduleKeys(keys: Keys) {
  return {
    pollSchedule: (k: number, connector: string) => `${keys.partitions.space(k)}:poll-due:${connector}`,
    pollScheduleOf: (id: string, connector: string) => `${keys.partitions.spaceOf(id)}:poll-due:${connector}`,
  };
}

export type PollScheduleKeys = ReturnType<typeof pollScheduleKeys>;

/**
 * Keeping devices in sync: poll scheduling and the poll worker, one sync of one installation under the
 * sync lock, discovery and selection, commands through the connector.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { buildSync, startPollDispatcher } from './build';
export { PollDispatcher } from './poll-dispatcher';
export type { DispatcherOptions, DispatchRound } from './poll-dispatcher';
export type { Sync } from './build';
export { connectorFor, contextFor } from './connector-context';
export { POLL_QUEUE, POLL_WORKER_OPTIONS, PollScheduler } from './poll-queue';
export type { LegacySchedule, PollJob, PollJobData, PollSchedule } from './poll-queue';
export { pollProcessor } from './poll-worker';
export { runCommand } from './run-command';
export { deleteDevice, discover, setDeviceLabel, updateSelection } from './selection';
export { applySnapshot } from './sync-installation';
export { withSyncLock } from './with-sync-lock';
export { repairPollSchedules } from './repair-schedules';
export type { ScheduleRepair } from './repair-schedules';

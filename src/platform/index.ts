/**
 * The platform's own model: installations, child devices, the event log, and the pure reconciliation
 * diff that turns a cloud snapshot into device changes.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { buildPlatform } from './build';
export type { Platform } from './build';
export { cursorFrom, DeviceStore, selectionFrom, syncReadsFrom } from './device-store';
export { EVENT_TYPES, EventLog, isCursor } from './event-log';
export type { EventType, PlatformEvent } from './event-log';
export { afterFailure, afterSuccess, healthFromFields, healthView, healthViewSchema, redactMessage } from './health';
export type { HealthChange, HealthError, HealthPolicy, HealthRecord, HealthView } from './health';
export { HealthStore } from './health-store';
export { InstallationStore, installationFromHash } from './installation-store';
// Only for ingest/webhook-records.ts, which keeps ingest's fields in the installation hash.
export { installationKeys } from './installation-keys';
export type { InstallationKeys } from './installation-keys';
export type { Installation } from './installation-store';
export { markReauthRequired } from './reauth';
export { isEmpty, reconcile } from './reconcile-diff';
export type { DeviceView, Reconciliation } from './reconcile-diff';
export { requireInstallation, requireLinked } from './require-installation';
export { authenticateInstallation } from './installation-auth';

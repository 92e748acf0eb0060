/**
 * The platform's back end and operators: the admin API, installation lifecycle (create, uninstall),
 * the operator login and queue dashboard.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { deviceOperations, deviceRoutes } from './api/devices';
export { eventOperations, eventRoutes } from './api/events';
export { eventSinkOperations, eventSinkRoutes } from './api/event-sinks';
export { installationOperations, installationRoutes } from './api/installations';
export { webhookAdminOperations, webhookAdminRoutes } from './api/webhooks';
export { createInstallation } from './create-installation';
export type { CreatedInstallation } from './create-installation';
export { adminRoutes } from './routes';
export { uninstall } from './uninstall';
export { API_KEY_SCOPES, ApiKeyStore } from './api-key-store';
export type { ApiKey, ApiKeyScope } from './api-key-store';

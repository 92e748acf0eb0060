/**
 * Linking an installation to a cloud account: setup page, /oauth/initialize and /oauth/callback, the
 * single-use state, the code exchange.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { buildLinking } from './build';
export type { Linking } from './build';
export { linkingRoutes } from './routes';
export { StateStore } from './state-store';
export { setupUrl } from './urls';

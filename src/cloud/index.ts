/**
 * Calling a third-party cloud: the authorized client (refresh once, cluster-wide, then replay),
 * provider tokens, locks, and the OAuth client pieces linking shares (provider options, token parsing).
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { AuthorizedClients, PrefetchedCall } from './authorized-client';
export { buildCloud } from './build';
export type { Cloud, CloudHooks } from './build';
export { outcomeOf } from './errors';
export { describeTokenEndpointFailure } from './oauth-failure';
export { toModuleOptions } from './provider-options';
export { RateGate } from './rate-gate';
export { RefreshCoordinator } from './refresh';
export { parseTokenResponse } from './token-response';
export { ProviderTokenStore } from './provider-token-store';
export type { TokenSet } from './provider-token-store';
export { REVOCATION_QUEUE, revocationProcessor, TokenRevocations } from './revocation';
export type { RevocationJob } from './revocation';

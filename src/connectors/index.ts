/**
 * The connector contract (SDK types), the registry of connector folders, and the fake-cloud kit.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { defaultClassify } from './cloud-types';
export { matchesResponse, RFC6749_REFRESH_REFUSED, RFC6750_TOKEN_EXPIRED, type ResponseMatch } from './response-match';
export { CloudAnswerError, CommandArgumentError } from './connector-errors';
export type { Classification, CloudHttp, CloudRequest, CloudResponse, RateLimit } from './cloud-types';
export type { CommandDefinition, ConnectorContext, WebhookEffect } from './context';
export type { ApiKeyPlacement, Connector, RunningFake } from './define-connector';
export type { Attributes, ChildDevice, DeviceContext, DeviceSnapshot, DiscoveredDevice } from './device-types';
export type { OAuthProvider } from './provider';
export { ConnectorLoadError, loadConnectors } from './registry';

/**
 * The connector contract (SDK types), the registry of connector folders, and the fake-cloud kit.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { defaultClassify } from './cloud-types';
export { CloudAnswerError, CommandArgumentError } from './connector-errors';
export type { CloudHttp, CloudRequest, CloudResponse, RateLimit } from './cloud-types';
export type { ConnectorContext, WebhookEffect } from './context';
export type { Connector, RunningFake } from './define-connector';
export type { Attributes, ChildDevice, DeviceSnapshot, DiscoveredDevice } from './device-types';
export type { OAuthProvider } from './provider';
export { ConnectorLoadError, loadConnectors } from './registry';

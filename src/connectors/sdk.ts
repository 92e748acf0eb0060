/** The only module a connector imports from the framework. */
export { defineConnector, type ConnectorDefinition, type RunningFake } from './define-connector';
export type { OAuthProvider } from './provider';

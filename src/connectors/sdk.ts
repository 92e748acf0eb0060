/** The only module a connector imports from the framework. */
export { defineConnector, type ApiKeyPlacement, type ConnectorDefinition, type RunningFake } from './define-connector';
export { matchesResponse, RFC6749_REFRESH_REFUSED, RFC6750_TOKEN_EXPIRED, type ResponseMatch } from './response-match';
export type { OAuthProvider } from './provider';
export { defaultClassify, type Classification, type CloudHttp, type CloudRequest, type CloudResponse, type RateLimit } from './cloud-types';
export {
  defineCommand,
  type CommandDefinition,
  type CommandTarget,
  type ConnectorContext,
  type PollDefinition,
  type PollResult,
  type DevicePatch,
  type ParsedWebhook,
  type WebhookDefinition,
  type WebhookEffect,
  type WebhookRequest,
  WebhookParseError,
} from './context';
export { CloudAnswerError, CommandArgumentError } from './connector-errors';
export type { Attributes, AttributeValue, DeviceContext, DeviceSnapshot, DiscoveredDevice } from './device-types';
// From the pure crypto module: importing the SDK must not pull in Redis, BullMQ or the HTTP app.
export { constantTimeEqual, constantTimeEqualBytes, hmacSha256Hex } from '../runtime/secrets/hmac';

/**
 * The only module a connector imports from the framework (connectors/README.md is the guide).
 *
 * What a connector may throw, and what the caller then gets (src/connectors/connector-errors.ts):
 * `CommandArgumentError` → 400 with its message; `CloudAnswerError` → 502 `cloud_error`;
 * `WebhookParseError` → the payload kept for the operator; anything else → 502 `connector_error`
 * naming the connector. Errors from `ctx.http` are the framework's own and pass through.
 */
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

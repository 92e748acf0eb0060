/**
 * What every slice may use: config, errors, logging, metrics, Redis keys and connections, secrets,
 * HTTP building blocks (guards, pages, validation). The composition (app, build-services, workers,
 * main) is not here: it imports the slices, and nothing imports it.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export type { Config, ConnectorCredentials } from './config';
export { AppError, ERROR_CATALOGUE } from './errors/index';
export type { ErrorCode } from './errors/index';
export type { AppContext, RequestState } from './http/context';
export { createRouter, guard, guarded, installationToken, presentedIn, publicRoute } from './http/guards';
export type { ApiKeyVerifier } from './http/guards';
export { SafeHtml, html, page } from './http/html';
export { parseBody } from './http/validate';
export type { Logger } from './logging/logger';
export { labelledChildren } from './metrics/labelled-children';
export { serviceQueues, type QueueOwners, type ServiceQueue } from './metrics/queue-depth';
export type { Keys } from './redis/keys';
export { PartitionedQueue, partitionQueueLabel } from './queues/partitioned-queue';
export { isRedisUnavailable, ReplicasNotConfirmedError, withDeadline } from './redis/redis';
export { basicCredentials, isBearer } from './secrets/authorization-header';
export { constantTimeEqual, decrypt, encrypt, hashToken, randomToken, tokenMatchesHash } from './secrets/crypto';
export { SecretKeyring } from './secrets/keyring';
export type { SealedFamily, SealedRecord } from './secrets/rekey';
export { pollIntervalMs } from './services';
export type { Base, EnabledConnector, Services } from './services';
export { tryAcquire } from './redis/lock';
export { inTurn } from './redis/turn-batch';
export type { PipelineReplies } from './redis/lock';
export { execFenced, LockFence, WriteBatch } from './redis/fenced-write';
export type { Fence } from './redis/fenced-write';
export { constantTimeEqualBytes, hmacSha256, hmacSha256Bytes, hmacSha256Hex } from './secrets/hmac';
export { sendError } from './http/middleware/error-handler';
export { formCsrfKey, formCsrfMatches, issueFormCsrf } from './http/form-csrf';
export type { ErrorPageContext } from './http/context';
export { classifyNavigation, isSameOriginSubmission } from './http/navigation';
export type { Arrival, RequestSource } from './http/navigation';
export { decodeCursor, isPageCursor, loadPage, memberOf, pageInMemory, SortedIndex } from './redis/sorted-index';
export type { Page } from './redis/sorted-index';
export { evalEach, getMany, scanKeys } from './redis/cluster-safe';
export { pageOf, pageQuery } from './http/pagination';
export { errorBody, openApiDocument, openApiPath } from './http/openapi';
export type { ApiOperation } from './http/openapi';

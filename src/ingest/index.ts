/**
 * Callbacks from clouds: callback URLs and tokens, the webhook route, queue and worker, and the
 * subscription lifecycle with each cloud.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { buildIngest } from './build';
export type { Ingest } from './build';
export { CallbackTokenCache } from './callback-token-cache';
export { ingestRecords } from './records';
export { MissedDeliveries } from './missed';
export { webhookRoutes } from './routes';
export { ensureSubscribed, retryPendingSubscription, subscriptionPollHooks, trySubscribe, unsubscribeOnUninstall } from './cloud-subscriptions';
export { WEBHOOK_QUEUE, WebhookQueue } from './webhook-queue';
export type { WebhookJob } from './webhook-queue';
export { webhookProcessor } from './webhook-worker';

/**
 * The platform as OAuth2 authorization server for external systems: users, clients, grants,
 * scoped REST, event subscriptions and signed delivery.
 *
 * Other slices import from here only (test/architecture/slices.unit.test.ts).
 */
export { DELIVERY_QUEUE } from './delivery-queue';
export type { DeliveryJob } from './delivery-queue';
export { deliveryProcessor } from './delivery-worker';
export { EventFanout } from './fanout';
export { SINK_QUEUE } from './sink-queue';
export type { SinkJob } from './sink-queue';
export { sinkDeliveryProcessor } from './sink-delivery';
export type { EventSink, SinkStats } from './event-sinks';
export { assertPublicTarget, TargetRefused } from './target-guard';
export { LoginLimiter, OPERATOR_LOGIN_LIMITS, operatorLoginLimiter } from './login-limiter';
export { appInstallationOperations, appInstallationRoutes } from './routes/app-installations';
export { authorizeRoutes } from './routes/authorize';
export { clientOperations, clientRoutes } from './routes/clients-api';
export { confirmOperations, confirmRoutes } from './routes/smartapp-confirm';
export { smartAppOperations, smartAppRoutes } from './routes/smartapp-installations';
export { appSubscriptionOperations } from './routes/smartapp-subscriptions';
export { subscriptionAdminRoutes, subscriptionOperations } from './routes/subscriptions-api';
export { tokenRoutes } from './routes/token';
export { userOperations, userRoutes } from './routes/users-api';
export { buildWebServices, createWebServices } from './web-services';
export { SubscriptionStore } from './event-subscriptions';
export { SinkStore } from './event-sinks';
export { targetUrlSchema } from './target-guard';
export { deliveryStateMigrations } from './web-services';
export type { WebServices } from './web-services';
export { locationAppRoutes } from './routes/location-apps';

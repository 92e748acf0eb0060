import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import type { Services } from '../services';
import type { RequestState } from './context';
import { adminToken, guarded, presentedIn } from './guards';
import { requestFrame } from './middleware/request-frame';
import { routed } from './middleware/routed';
import { securityHeaders } from './middleware/security-headers';
import { adminRoutes, ApiKeyStore, deviceRoutes, eventRoutes, eventSinkRoutes, installationRoutes, webhookAdminRoutes } from '../../operator';
import { webhookRoutes } from '../../ingest';
import { linkingRoutes, userDeviceRoutes } from '../../linking';
import { healthRoutes } from './health-routes';
import { metricsRoutes } from './metrics-routes';
import { landingRoutes } from './landing-routes';
import { locationAppRoutes } from '../../webservices';
import { openApiRoutes } from './openapi-routes';
import {
  appInstallationRoutes,
  authorizeRoutes,
  clientRoutes,
  confirmRoutes,
  smartAppRoutes,
  subscriptionAdminRoutes,
  tokenRoutes,
  userRoutes,
} from '../../webservices';

export const JSON_LIMIT = '256kb';

export interface ComposedApp {
  app: Koa<RequestState>;
  /** Every router the app mounts: the route table, each route with its declared guard. */
  routers: Router<RequestState>[];
}

export function createApp(services: Services): Koa<RequestState> {
  return composeApp(services).app;
}

/** The middleware order, read top to bottom, is the request pipeline. */
export function composeApp(services: Services): ComposedApp {
  const app = new Koa<RequestState>();
  // X-Forwarded-* are believed only from the configured number of proxy hops: otherwise any
  // caller could pick its own address (and dodge the per-address limiters) or claim https.
  const hops = services.config.trustProxy;
  app.proxy = hops > 0;
  app.maxIpsCount = hops;
  app.silent = true; // errors are rendered and logged by requestFrame, once

  // The demo's console is for its banner: requests there are logged at debug (LOG_LEVEL=debug shows them).
  app.use(requestFrame(services.log, services.metrics, { requestsAtDebug: services.config.demo }));

  // First, and before any body parser: callbacks are the hot path, and are read raw, for
  // signature checks on the exact bytes. Routers below are entered only where they match (routed).
  // A callback's answer is short JSON for a cloud, not a page: it sets its own nosniff and skips
  // the dozen headers below (a measurable share of the per-callback cost).
  const webhooks = webhookRoutes(services);
  app.use(webhooks.fastPath);
  app.use(securityHeaders(services.config.publicUrl));

  const health = healthRoutes(services);
  const metrics = metricsRoutes(services);
  app.use(routed(health));
  app.use(routed(metrics));
  const landing = landingRoutes(services);
  app.use(routed(landing));

  // Never skipped: it records the (possibly empty) match the 405/501 handling starts from.
  app.use(routed(webhooks.router, { always: true }));

  const linking = linkingRoutes(services);
  app.use(routed(linking));
  const userDevices = userDeviceRoutes(services);
  app.use(routed(userDevices));
  const userApps = locationAppRoutes(services);
  app.use(routed(userApps));

  // Named API keys, accepted wherever ADMIN_TOKEN is (read: GET only; full: everything).
  const apiKeys = new ApiKeyStore(services.redis, services.keys);

  // Operator pages: login form, and the queue dashboard behind the operator session.
  const operator = adminRoutes(services, apiKeys);
  app.use(routed(operator));

  // The platform as OAuth2 authorization server for external systems (Web Services API).
  const oauth = [authorizeRoutes(services), tokenRoutes(services)];
  for (const router of oauth) app.use(routed(router));

  // Admin and app APIs: JSON bodies, parsed only once the route's guard has let the caller in.
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: JSON_LIMIT, strict: true }) as Middleware<RequestState>;
  const admin = adminToken<RequestState>(services.config.adminToken, apiKeys);
  const confirm = guarded(
    confirmRoutes(services),
    presentedIn('confirmation-token', (ctx) => typeof ctx.query['token'] === 'string'),
  );
  const smartApps = smartAppRoutes(services, json);
  const appInstallations = guarded(
    appInstallationRoutes(services, apiKeys),
    presentedIn('admin-or-user', (ctx) => /^(Bearer|Basic) \S/i.test(ctx.get('authorization'))),
  );
  const adminApi = [
    userRoutes(services),
    clientRoutes(services),
    installationRoutes(services),
    deviceRoutes(services),
    eventRoutes(services),
    webhookAdminRoutes(services),
    subscriptionAdminRoutes(services),
    eventSinkRoutes(services),
  ].map((router) => guarded(router, admin, json));
  const api = [openApiRoutes(services), confirm, smartApps as unknown as Router<RequestState>, appInstallations, ...adminApi];
  for (const router of api) app.use(routed(router));

  return { app, routers: [webhooks.router, health, metrics, landing, linking, userDevices, userApps, operator, ...oauth, ...api] };
}

import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { Services } from '../services';
import type { RequestState } from './context';
import { requestFrame } from './middleware/request-frame';
import { requireAdmin } from './middleware/require-admin';
import { routed } from './middleware/routed';
import { deviceRoutes } from './routes/api/devices';
import { eventRoutes } from './routes/api/events';
import { installationRoutes } from './routes/api/installations';
import { adminRoutes } from './routes/admin';
import { webhookAdminRoutes } from './routes/api/webhooks';
import { webhookRoutes } from './routes/connectors/webhooks';
import { linkingRoutes } from './routes/connectors/linking';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { appInstallationRoutes } from './routes/api/app-installations';
import { clientRoutes } from './routes/api/clients';
import { userRoutes } from './routes/api/users';
import { authorizeRoutes } from './routes/oauth/authorize';
import { tokenRoutes } from './routes/oauth/token';
import { confirmRoutes } from './routes/smartapps/confirm';
import { smartAppRoutes } from './routes/smartapps/installations';
import { authenticatesItself } from './routes/smartapps/paths';

export const JSON_LIMIT = '256kb';

/** The middleware order, read top to bottom, is the request pipeline. */
export function createApp(services: Services): Koa<RequestState> {
  const app = new Koa<RequestState>();
  // Behind a TLS-terminating proxy the public URL is https; trust its X-Forwarded-* then.
  app.proxy = services.config.publicUrl.startsWith('https://');
  app.silent = true; // errors are rendered and logged by requestFrame, once

  app.use(requestFrame(services.log, services.metrics));

  // First, and before any body parser: callbacks are the hot path, and are read raw, for
  // signature checks on the exact bytes. Routers below are entered only where they match (routed).
  const webhooks = webhookRoutes(services);
  app.use(webhooks.fastPath);

  app.use(routed(healthRoutes(services)));
  app.use(routed(metricsRoutes(services)));

  // Never skipped: it records the (possibly empty) match the 405/501 handling starts from.
  app.use(webhooks.router.routes()).use(webhooks.router.allowedMethods({ throw: true }));

  app.use(routed(linkingRoutes(services)));

  // Operator pages (login, queue dashboard): their own auth, admin token or session cookie.
  const operator = adminRoutes(services);
  app.use(operator.dashboard);
  app.use(routed(operator.router));

  // The platform as OAuth2 authorization server for external systems (Web Services API).
  for (const router of [authorizeRoutes(services), tokenRoutes(services)]) app.use(routed(router));

  const admin = requireAdmin(services.config.adminToken);
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: JSON_LIMIT, strict: true });
  const installations = installationRoutes(services);
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    if (authenticatesItself(ctx.method, ctx.path)) return json(ctx, next);
    return admin(ctx, () => json(ctx, next));
  });
  const smartApps = [confirmRoutes(services), smartAppRoutes(services), appInstallationRoutes(services)];
  for (const router of [...smartApps, userRoutes(services), clientRoutes(services)]) app.use(routed(router));
  for (const router of [installations, deviceRoutes(services), eventRoutes(services), webhookAdminRoutes(services)]) {
    app.use(routed(router));
  }

  return app;
}

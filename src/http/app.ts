import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { Services } from '../services';
import type { RequestState } from './context';
import { errorHandler } from './middleware/error-handler';
import { httpMetrics } from './middleware/http-metrics';
import { requestId } from './middleware/request-id';
import { requireAdmin } from './middleware/require-admin';
import { deviceRoutes } from './routes/api/devices';
import { eventRoutes } from './routes/api/events';
import { installationRoutes } from './routes/api/installations';
import { webhookAdminRoutes } from './routes/api/webhooks';
import { webhookRoutes } from './routes/connectors/webhooks';
import { linkingRoutes } from './routes/connectors/linking';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';

export const JSON_LIMIT = '256kb';

/** The middleware order, read top to bottom, is the request pipeline. */
export function createApp(services: Services): Koa<RequestState> {
  const app = new Koa<RequestState>();
  // Behind a TLS-terminating proxy the public URL is https; trust its X-Forwarded-* then.
  app.proxy = services.config.publicUrl.startsWith('https://');
  app.silent = true; // errors are logged by errorHandler, once

  app.use(requestId(services.log));
  app.use(httpMetrics(services.metrics));
  app.use(errorHandler(services.log));

  const health = healthRoutes(services);
  app.use(health.routes());
  app.use(metricsRoutes(services).routes());

  // Before any body parser: callbacks are read raw, for signature checks on the exact bytes.
  const webhooks = webhookRoutes(services);
  app.use(webhooks.routes()).use(webhooks.allowedMethods({ throw: true }));

  const linking = linkingRoutes(services);
  app.use(linking.routes()).use(linking.allowedMethods({ throw: true }));

  const admin = requireAdmin(services.config.adminToken);
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: JSON_LIMIT, strict: true });
  const installations = installationRoutes(services);
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    return admin(ctx, () => json(ctx, next));
  });
  for (const router of [installations, deviceRoutes(services), eventRoutes(services), webhookAdminRoutes(services)]) {
    app.use(router.routes()).use(router.allowedMethods({ throw: true }));
  }

  return app;
}

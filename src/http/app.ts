import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { Services } from '../services';
import type { RequestState } from './context';
import { errorHandler } from './middleware/error-handler';
import { requestId } from './middleware/request-id';
import { requireAdmin } from './middleware/require-admin';
import { deviceRoutes } from './routes/api/devices';
import { eventRoutes } from './routes/api/events';
import { installationRoutes } from './routes/api/installations';
import { linkingRoutes } from './routes/connectors/linking';
import { healthRoutes } from './routes/health';

export const JSON_LIMIT = '256kb';

/** The middleware order, read top to bottom, is the request pipeline. */
export function createApp(services: Services): Koa<RequestState> {
  const app = new Koa<RequestState>();
  // Behind a TLS-terminating proxy the public URL is https; trust its X-Forwarded-* then.
  app.proxy = services.config.publicUrl.startsWith('https://');
  app.silent = true; // errors are logged by errorHandler, once

  app.use(requestId(services.log));
  app.use(errorHandler(services.log));

  const health = healthRoutes(services);
  app.use(health.routes());

  const linking = linkingRoutes(services);
  app.use(linking.routes()).use(linking.allowedMethods({ throw: true }));

  const admin = requireAdmin(services.config.adminToken);
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: JSON_LIMIT, strict: true });
  const installations = installationRoutes(services);
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    return admin(ctx, () => json(ctx, next));
  });
  for (const router of [installations, deviceRoutes(services), eventRoutes(services)]) {
    app.use(router.routes()).use(router.allowedMethods({ throw: true }));
  }

  return app;
}

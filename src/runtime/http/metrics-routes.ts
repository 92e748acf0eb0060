import type Router from '@koa/router';
import { createRouter, guarded, metricsToken } from './guards';
import { refreshQueueDepth } from '../metrics/queue-depth';
import type { Services } from '../services';
import type { RequestState } from './context';

/** Prometheus scrape endpoint; queue depths are read from Redis at scrape time. */
export function metricsRoutes(services: Services): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.get('/metrics', async (ctx) => {
    await refreshQueueDepth(services);
    ctx.type = services.metrics.registry.contentType;
    ctx.body = await services.metrics.registry.metrics();
  });
  return guarded(router, metricsToken(services.config.metricsToken));
}

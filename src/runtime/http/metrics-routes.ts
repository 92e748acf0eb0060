import type Router from '@koa/router';
import { createRouter, guarded, metricsToken } from './guards';
import { type QueueOwners, refreshQueueDepth } from '../metrics/queue-depth';
import type { RequestState } from './context';
import type { Base } from '../services';

/** Prometheus scrape endpoint; queue depths are read from Redis at scrape time. */
export function metricsRoutes(services: Pick<Base, 'config' | 'metrics'> & QueueOwners): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.get('/metrics', async (ctx) => {
    await refreshQueueDepth(services);
    ctx.type = services.metrics.registry.contentType;
    ctx.body = await services.metrics.registry.metrics();
  });
  return guarded(router, metricsToken(services.config.metricsToken));
}

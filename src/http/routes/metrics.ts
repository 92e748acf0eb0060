import Router from '@koa/router';
import type { Services } from '../../services';
import type { RequestState } from '../context';

/** Prometheus scrape endpoint; queue depths are read from Redis at scrape time. */
export function metricsRoutes(services: Services): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get('/metrics', async (ctx) => {
    for (const queue of [services.scheduler.queue, services.webhooks.queue]) {
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        for (const [state, n] of Object.entries(counts)) services.metrics.queueDepth.set({ queue: queue.name, state }, n);
      } catch {
        // Redis down: the scrape still answers with what this process knows.
      }
    }
    ctx.type = services.metrics.registry.contentType;
    ctx.body = await services.metrics.registry.metrics();
  });
  return router;
}

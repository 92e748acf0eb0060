import type Router from '@koa/router';
import { createRouter, guarded, publicRoute } from './guards';
import { isRedisReady } from '../redis/redis';
import type { Base } from '../services';
import type { RequestState } from './context';

export function healthRoutes(services: Pick<Base, 'redis'>): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const redis = await isRedisReady(services.redis);
    ctx.status = redis ? 200 : 503;
    ctx.body = { status: redis ? 'ready' : 'unavailable', redis: redis ? 'up' : 'down' };
  });
  return guarded(router, publicRoute());
}

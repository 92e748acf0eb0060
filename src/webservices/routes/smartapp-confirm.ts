import type Router from '@koa/router';
import { AppError, createRouter } from '../../runtime';
import type { ApiOperation, RequestState, Services } from '../../runtime';
import { z } from 'zod';

export const confirmOperations: ApiOperation[] = [
  { method: 'get', path: '/api/smartapps/subscriptions/:subscriptionId/confirm', tag: 'web services', auth: 'confirmation-token',
    summary: "A subscription's confirmation link (sent in its CONFIRMATION lifecycle); the token is its only credential",
    params: z.object({ subscriptionId: z.string().max(64) }), query: z.object({ token: z.string().max(200) }),
    responses: { 200: { description: 'Confirmed', schema: z.object({ id: z.string(), status: z.enum(['pending', 'confirmed']), targetUrl: z.string() }) }, 404: { description: 'Unknown subscription or token', schema: null } } },
];

/**
 * The confirmationUrl sent in a CONFIRMATION lifecycle: the target proves it wants the events by
 * fetching it (SmartThings' webhook confirmation). The link's token is its only credential.
 */
export function confirmRoutes(services: Services): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.get('/api/smartapps/subscriptions/:subscriptionId/confirm', async (ctx) => {
    const token = ctx.query['token'];
    const sub =
      typeof token === 'string'
        ? await services.webServices.subscriptions.confirm(ctx.params['subscriptionId'] ?? '', token, new Date(services.now()))
        : undefined;
    if (!sub) throw new AppError('not_found', { message: 'Unknown subscription or confirmation token.' });
    ctx.body = { id: sub.id, status: sub.status, targetUrl: sub.targetUrl };
  });
  return router;
}

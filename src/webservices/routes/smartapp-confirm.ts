import type Router from '@koa/router';
import { AppError, createRouter } from '../../runtime';
import type { RequestState } from '../../runtime';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'now'> & { webServices: WebServices };
import type { ApiOperation } from '../../runtime';
import { z } from 'zod';

const confirmQuery = z.object({ token: z.string().max(200) });

export const confirmOperations: ApiOperation[] = [
  { method: 'get', path: '/api/smartapps/subscriptions/:subscriptionId/confirm', tag: 'web services', auth: 'confirmation-token',
    summary: "A subscription's confirmation link (sent in its CONFIRMATION lifecycle); the token is its only credential",
    params: z.object({ subscriptionId: z.string() }), query: confirmQuery,
    responses: { 200: { description: 'Confirmed', schema: z.object({ id: z.string(), status: z.enum(['pending', 'confirmed']), targetUrl: z.string() }) }, 404: { description: 'Unknown subscription or token', schema: null } } },
];

/**
 * The confirmationUrl sent in a CONFIRMATION lifecycle: the target proves it wants the events by
 * fetching it (SmartThings' webhook confirmation). The link's token is its only credential.
 */
export function confirmRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.get('/api/smartapps/subscriptions/:subscriptionId/confirm', async (ctx) => {
    // A missing or malformed token is told apart from a wrong one by nothing: both are a 404.
    const query = confirmQuery.safeParse(ctx.query);
    const sub = query.success
      ? await services.webServices.subscriptions.confirm(ctx.params['subscriptionId'] ?? '', query.data.token, new Date(services.now()))
      : undefined;
    if (!sub) throw new AppError('not_found', { message: 'Unknown subscription or confirmation token.' });
    ctx.body = { id: sub.id, status: sub.status, targetUrl: sub.targetUrl };
  });
  return router;
}

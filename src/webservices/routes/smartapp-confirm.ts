import type Router from '@koa/router';
import { AppError, createRouter } from '../../runtime';
import type { RequestState } from '../../runtime';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'now'> & { webServices: WebServices };

/**
 * The confirmationUrl sent in a CONFIRMATION lifecycle: the target proves it wants the events by
 * fetching it (SmartThings' webhook confirmation). The link's token is its only credential.
 */
export function confirmRoutes(services: Deps): Router<RequestState> {
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

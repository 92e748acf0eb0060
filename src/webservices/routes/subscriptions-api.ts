import type Router from '@koa/router';
import { z } from 'zod';
import { AppError, createRouter, pageOf, pageQuery, parseBody } from '../../runtime';
import type { ApiOperation, RequestState } from '../../runtime';
import type { WebServices } from '../web-services';
import { EVENT_TYPES } from '../../platform';
import type { Subscription } from '../event-subscriptions';

/** A subscription as the admin sees it: whose it is, never its signing secret. */
export const subscriptionView = z.object({
  id: z.uuid(),
  appId: z.uuid(),
  targetUrl: z.string(),
  events: z.array(z.enum(EVENT_TYPES)),
  status: z.enum(['pending', 'confirmed']),
  createdAt: z.iso.datetime(),
  confirmedAt: z.iso.datetime().nullable(),
});
const subscriptionDetail = subscriptionView.extend({ failedDeliveries: z.number().int() });
const subscriptionPage = pageOf(subscriptionView);
const idParams = z.object({ id: z.string() });

export const subscriptionOperations: ApiOperation[] = [
  { method: 'get', path: '/api/subscriptions', tag: 'subscriptions', auth: 'admin', summary: "Every app's event subscriptions (cursor pages, creation order)", query: pageQuery,
    responses: { 200: { description: 'One page', schema: subscriptionPage } } },
  { method: 'get', path: '/api/subscriptions/:id', tag: 'subscriptions', auth: 'admin', summary: 'One subscription, with its dead-lettered deliveries', params: idParams,
    responses: { 200: { description: 'The subscription', schema: subscriptionDetail }, 404: { description: 'No such subscription', schema: null } } },
  { method: 'delete', path: '/api/subscriptions/:id', tag: 'subscriptions', auth: 'admin', summary: 'Delete a subscription and what is queued for it', params: idParams,
    responses: { 204: { description: 'Deleted', schema: null }, 404: { description: 'No such subscription', schema: null } } },
];

const view = (s: Subscription): z.output<typeof subscriptionView> => ({ ...s, confirmedAt: s.confirmedAt ?? null });

/** Admin: the event subscriptions external systems made through the Web Services API. */
export function subscriptionAdminRoutes(services: { webServices: WebServices }): Router<RequestState> {
  const router = createRouter<RequestState>();
  const { subscriptions, drains } = services.webServices;
  const requireSubscription = async (id: string) => {
    const sub = await subscriptions.get(id);
    if (!sub) throw new AppError('not_found', { message: 'No such subscription.' });
    return sub;
  };

  router.get('/api/subscriptions', async (ctx) => {
    const q = parseBody(pageQuery, ctx.query);
    const page = await subscriptions.page(q.cursor, q.limit);
    ctx.body = { items: page.items.map(view), next: page.next } satisfies z.output<typeof subscriptionPage>;
  });

  router.get('/api/subscriptions/:id', async (ctx) => {
    const sub = await requireSubscription(ctx.params['id'] ?? '');
    ctx.body = { ...view(sub), failedDeliveries: await drains.failedCount(sub.id) } satisfies z.output<typeof subscriptionDetail>;
  });

  router.delete('/api/subscriptions/:id', async (ctx) => {
    if (!(await subscriptions.delete(await requireSubscription(ctx.params['id'] ?? '')))) throw new AppError('not_found', { message: 'No such subscription.' });
    ctx.status = 204;
  });
  return router;
}

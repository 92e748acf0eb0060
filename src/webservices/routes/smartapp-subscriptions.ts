import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { targetUrlSchema } from '../target-guard';
import { AppError, parseBody } from '../../runtime';
import type { ApiOperation } from '../../runtime';
import { subscribe } from '../lifecycle';
import { assertPublicTarget, TargetRefused } from '../target-guard';
import { SUBSCRIBABLE_EVENTS, type Subscription } from '../event-subscriptions';
import { grantOf, type SmartAppState } from './smartapp-bearer';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'log' | 'now'> & { webServices: WebServices };

const MAX_SUBSCRIPTIONS = 20;


const subscriptionBody = z.object({
  targetUrl: targetUrlSchema,
  events: z.array(z.enum(SUBSCRIBABLE_EVENTS as [string, ...string[]])).min(1).max(SUBSCRIBABLE_EVENTS.length),
});

const appSubscription = z.object({
  id: z.uuid(),
  targetUrl: z.string(),
  events: z.array(z.enum(SUBSCRIBABLE_EVENTS as [string, ...string[]])),
  status: z.enum(['pending', 'confirmed']),
  createdAt: z.iso.datetime(),
  /** Absent until the target fetched its confirmation link. */
  confirmedAt: z.iso.datetime().optional(),
});
const appParams = z.object({ appId: z.string() });
const subParams = appParams.extend({ subscriptionId: z.string() });
const base = '/api/smartapps/installations/:appId/subscriptions';
const notFound = { description: 'No such app installation or subscription', schema: null };

export const appSubscriptionOperations: ApiOperation[] = [
  { method: 'post', path: base, tag: 'web services', auth: 'app-token', summary: 'Subscribe a target URL to device events; the signing secret is in this answer only', params: appParams, body: subscriptionBody,
    responses: { 201: { description: 'The pending subscription and its secret', schema: appSubscription.extend({ secret: z.string() }) }, 404: notFound, 409: { description: 'Too many subscriptions', schema: null } } },
  { method: 'get', path: base, tag: 'web services', auth: 'app-token', summary: "The app's subscriptions", params: appParams,
    responses: { 200: { description: 'Subscriptions', schema: z.array(appSubscription) }, 404: notFound } },
  { method: 'get', path: `${base}/:subscriptionId`, tag: 'web services', auth: 'app-token', summary: 'One subscription, with its dead-lettered deliveries', params: subParams,
    responses: { 200: { description: 'The subscription', schema: appSubscription.extend({ failedDeliveries: z.number().int() }) }, 404: notFound } },
  { method: 'delete', path: `${base}/:subscriptionId`, tag: 'web services', auth: 'app-token', summary: 'Delete a subscription', params: subParams,
    responses: { 204: { description: 'Deleted', schema: null }, 404: notFound } },
];

function view(s: Subscription): z.input<typeof appSubscription> {
  return { id: s.id, targetUrl: s.targetUrl, events: s.events, status: s.status, createdAt: s.createdAt, ...(s.confirmedAt === undefined ? {} : { confirmedAt: s.confirmedAt }) };
}

/** Event subscriptions of one app installation, added under its uri (`path`) behind `guards`. */
export function addSubscriptionRoutes(router: Router<SmartAppState>, services: Deps, path: string, guards: Middleware<SmartAppState>[]): void {
  const subs = services.webServices.subscriptions;

  async function owned(ctx: { state: SmartAppState; params: Record<string, string> }): Promise<Subscription> {
    const sub = await subs.get(ctx.params['subscriptionId'] ?? '');
    if (!sub || sub.appId !== grantOf(ctx).app.id) throw new AppError('not_found', { message: 'No such subscription.' });
    return sub;
  }

  router.post(path, ...guards, async (ctx) => {
    const body = parseBody(subscriptionBody, ctx.request.body);
    const app = grantOf(ctx).app;
    if ((await subs.listForApp(app.id)).length >= MAX_SUBSCRIPTIONS) {
      throw new AppError('conflict', { message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per app installation.` });
    }
    if (!services.config.webServices.allowPrivateTargets) {
      await assertPublicTarget(body.targetUrl).catch((err: unknown) => {
        throw new AppError('bad_request', {
          message:
            err instanceof TargetRefused
              ? 'targetUrl must resolve to public addresses only (not loopback, private or link-local).'
              : 'targetUrl does not resolve.',
        });
      });
    }
    const events = [...new Set(body.events)] as typeof SUBSCRIBABLE_EVENTS;
    const { subscription, secret } = await subscribe(services, app, { targetUrl: body.targetUrl, events });
    ctx.status = 201;
    // The signing secret is shown here only.
    ctx.body = { ...view(subscription), secret };
  });

  router.get(path, ...guards, async (ctx) => {
    ctx.body = (await subs.listForApp(grantOf(ctx).app.id)).map(view);
  });

  router.get(`${path}/:subscriptionId`, ...guards, async (ctx) => {
    const sub = await owned(ctx);
    // Events that exhausted their delivery attempts and were set aside.
    ctx.body = { ...view(sub), failedDeliveries: await services.webServices.drains.failedCount(sub.id) };
  });

  router.delete(`${path}/:subscriptionId`, ...guards, async (ctx) => {
    await subs.delete(await owned(ctx));
    ctx.status = 204;
  });
}

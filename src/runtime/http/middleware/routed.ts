import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { guardForPath } from '../guards';

/**
 * A router's routes and its 405/501/OPTIONS handling (`allowedMethods`, thrown to the error
 * handler), entered only when one of its layers matches the path. A router that matches nothing
 * would only record an empty match and call next, but after formatting a debug line, reading the
 * host and path, and emitting an event: a few µs for each of the dozen routers a request passed.
 * Skipping it changes nothing: the matches of the routers that do run accumulate in ctx.matched as
 * before, and the webhook router, mounted unguarded ahead of all but the health and metrics
 * routers, records an empty match for paths no router knows, so the 405/501 handling sees what it
 * saw before (test/http/routing.integration.test.ts).
 *
 * A path that matches a route but not its method (405, or the OPTIONS answer) first passes that
 * route's guard: without its credential, a caller cannot learn which methods a route has.
 */
export function routed<S>(router: Router<S>, options: { always?: boolean } = {}): Middleware<S> {
  const routes = router.routes() as unknown as Middleware<S>;
  const allowed = router.allowedMethods({ throw: true }) as unknown as Middleware<S>;
  const dispatch: Middleware<S> = (ctx, next) =>
    routes(ctx, () => {
      const guard = guardForPath(router, ctx.path);
      return guard ? guard(ctx, () => allowed(ctx, next)) : allowed(ctx, next);
    });
  if (options.always) return dispatch;
  return (ctx, next) => {
    const path = ctx.path;
    for (const layer of router.stack) if (layer.match(path)) return dispatch(ctx, next);
    return next();
  };
}

import { randomUUID } from 'node:crypto';
import type { Middleware, Next, ParameterizedContext } from 'koa';
import { AppError } from '../../errors';
import type { Logger } from '../../logging/logger';
import { runWithRequestId } from '../../logging/request-context';
import type { Metrics } from '../../metrics/metrics';
import type { RequestState } from '../context';
import { logAccess } from './access-log';
import { renderError } from './error-handler';
import { routeLatency } from './http-metrics';

const INCOMING = /^[A-Za-z0-9._-]{8,64}$/;

type Ctx = ParameterizedContext<RequestState>;

/**
 * The first middleware, around everything else: gives the request its id, renders whatever was
 * thrown (one place for every error), then records the answer the caller got (latency histogram by
 * route pattern, access-log line), timed by one clock read on each side.
 *
 * One middleware rather than three (id, observation, errors) because each Koa middleware layer
 * is a compose step, a bound dispatcher and, when async, a promise of its own: the three
 * separately cost the webhook endpoint several µs per callback, measured against a bare Koa app.
 *
 * The request id is trusted when well-formed. While the request runs, every line logged (by the
 * HTTP layer or any service it calls) carries it: the root logger's mixin reads it from the request
 * context. With logging off nothing would read it, so the context (which has a per-promise cost)
 * is not entered.
 */
export function requestFrame(root: Logger, metrics: Metrics, options: { requestsAtDebug?: boolean } = {}): Middleware<RequestState> {
  const requestsAtDebug = options.requestsAtDebug ?? false;
  const logging = root.level !== 'silent';
  const latency = routeLatency(metrics);

  async function frame(ctx: Ctx, next: Next, started: number): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError('not_found');
    } catch (thrown) {
      renderError(ctx, thrown, root);
    } finally {
      const ms = performance.now() - started;
      // Set by @koa/router (and the webhook fast path) to the pattern of the route that answered.
      const route = (ctx as unknown as { _matchedRoute?: string | RegExp })._matchedRoute;
      const pattern = route ? String(route) : undefined;
      latency(ctx.method, pattern ?? 'unmatched', ctx.status, ms / 1000);
      logAccess(root, ctx, pattern, ms, requestsAtDebug);
    }
  }

  return (ctx, next) => {
    const started = performance.now();
    const incoming = ctx.req.headers['x-request-id'];
    const id = typeof incoming === 'string' && INCOMING.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = root;
    ctx.set('X-Request-Id', id);
    return logging ? runWithRequestId(id, () => frame(ctx, next, started)) : frame(ctx, next, started);
  };
}

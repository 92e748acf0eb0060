import type { Middleware } from 'koa';
import type { Logger } from '../../logging/logger';
import type { Metrics } from '../../metrics/metrics';
import type { RequestState } from '../context';
import { logAccess } from './access-log';
import { routeLatency } from './http-metrics';

/**
 * Outside the error handler, so both see the status the caller got: the latency histogram by route
 * pattern and the access-log line, timed by one clock read on each side of the request (one async
 * frame for both instead of one each).
 */
export function observeRequests(root: Logger, metrics: Metrics): Middleware<RequestState> {
  const latency = routeLatency(metrics);
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = performance.now() - started;
      // Set by @koa/router (and the webhook fast path) to the pattern of the route that answered.
      const route = (ctx as unknown as { _matchedRoute?: string | RegExp })._matchedRoute;
      const pattern = route ? String(route) : undefined;
      latency(ctx.method, pattern ?? 'unmatched', ctx.status, ms / 1000);
      logAccess(root, ctx, pattern, ms);
    }
  };
}

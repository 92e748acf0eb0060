import type { Middleware } from 'koa';
import type { Logger } from '../../logging/logger';
import type { RequestState } from '../context';

/** Probes and scrapes arrive every few seconds and say nothing new: logged at debug. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One line per request, written through the request's logger so it carries the request id. The
 * path is logged without its query string (callback tokens, OAuth codes and states travel there)
 * and with the route pattern beside it for grouping.
 */
export function accessLog(root: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const level = QUIET.has(ctx.path) && ctx.status < 400 ? 'debug' : 'info';
      // Checked first: building the request's child logger is the cost when nothing is written.
      if (root.isLevelEnabled(level)) {
        const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute;
        ctx.state.log[level](
          {
            method: ctx.method,
            path: ctx.path,
            ...(route ? { route: String(route) } : {}),
            status: ctx.status,
            ms: Math.round((performance.now() - started) * 10) / 10,
          },
          'request completed',
        );
      }
    }
  };
}

import type { Middleware } from 'koa';
import type { Metrics } from '../../metrics/metrics';
import type { RequestState } from '../context';

/** Latency by route pattern (never the raw path: ids and tokens would explode the label set). */
export function httpMetrics(metrics: Metrics): Middleware<RequestState> {
  return async (ctx, next) => {
    const end = metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      end({ method: ctx.method, route: String(route), status: String(ctx.status) });
    }
  };
}

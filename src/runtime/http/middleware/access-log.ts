import type { ParameterizedContext } from 'koa';
import type { Logger } from '../../logging/logger';
import type { RequestState } from '../context';

/** Probes and scrapes arrive every few seconds and say nothing new: logged at debug. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One line per request, written through the request's logger so it carries the request id. The
 * path is logged without its query string (callback tokens, OAuth codes and states travel there)
 * and with the route pattern beside it for grouping.
 */
export function logAccess(
  root: Logger,
  ctx: ParameterizedContext<RequestState>,
  route: string | undefined,
  ms: number,
  /** Every answer below 500 at debug (the demo's console: a browser's favicon 404 is not news). */
  requestsAtDebug: boolean = false,
): void {
  const quiet = requestsAtDebug ? ctx.status < 500 : ctx.status < 400 && QUIET.has(ctx.path);
  const level = quiet ? 'debug' : 'info';
  if (!root.isLevelEnabled(level)) return;
  ctx.state.log[level](
    {
      method: ctx.method,
      path: ctx.path,
      ...(route ? { route } : {}),
      status: ctx.status,
      ms: Math.round(ms * 10) / 10,
    },
    'request completed',
  );
}

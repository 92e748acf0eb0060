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
export function logAccess(root: Logger, ctx: ParameterizedContext<RequestState>, route: string | undefined, ms: number): void {
  // Checked before anything is built: with info off, debug (below it) is off too.
  if (!root.isLevelEnabled('info')) return;
  const level = QUIET.has(ctx.path) && ctx.status < 400 ? 'debug' : 'info';
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

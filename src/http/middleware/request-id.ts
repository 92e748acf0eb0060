import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../logging/logger';
import { runWithRequestId } from '../../logging/request-context';
import type { RequestState } from '../context';

const INCOMING = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives every request an id (trusting a well-formed incoming one). While the request runs, every
 * line logged — by the HTTP layer or by any service it calls — carries that id: the root logger's
 * mixin reads it from the request context. With logging off nothing would read it, so the context
 * (which has a per-promise cost) is not entered and no child logger is built. Not an async
 * function: it only hands on next's promise, and an async wrapper would add one per request.
 */
export function requestId(root: Logger): Middleware<RequestState> {
  const logging = root.level !== 'silent';
  return (ctx, next) => {
    const incoming = ctx.req.headers['x-request-id'];
    const id = typeof incoming === 'string' && INCOMING.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = root;
    ctx.set('X-Request-Id', id);
    if (!logging) return next();
    return runWithRequestId(id, next);
  };
}

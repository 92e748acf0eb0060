import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../logging/logger';
import type { RequestState } from '../context';

const INCOMING = /^[A-Za-z0-9._-]{8,64}$/;

/** Gives every request an id (trusting a well-formed incoming one) and a child logger bound to it. */
export function requestId(root: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = INCOMING.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = root.child({ requestId: id });
    ctx.set('X-Request-Id', id);
    await next();
  };
}

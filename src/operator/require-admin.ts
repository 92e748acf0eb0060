import type { Middleware } from 'koa';
import { AppError, isBearer } from '../runtime';
import type { RequestState } from '../runtime';

/** Bearer ADMIN_TOKEN, compared in constant time. */
export function requireAdmin(adminToken: string): Middleware<RequestState> {
  return async (ctx, next) => {
    if (!isBearer(ctx.get('authorization'), adminToken)) throw new AppError('unauthorized');
    await next();
  };
}

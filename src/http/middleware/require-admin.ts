import type { Middleware } from 'koa';
import { AppError } from '../../errors';
import { constantTimeEqual } from '../../secrets/crypto';
import type { RequestState } from '../context';

/** Bearer ADMIN_TOKEN, compared in constant time. */
export function requireAdmin(adminToken: string): Middleware<RequestState> {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const match = /^Bearer (\S+)$/i.exec(header);
    if (!match?.[1] || !constantTimeEqual(match[1], adminToken)) throw new AppError('unauthorized');
    await next();
  };
}

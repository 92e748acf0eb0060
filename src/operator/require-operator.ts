import type { Middleware } from 'koa';
import { AppError, isBearer } from '../runtime';
import type { ApiKeyVerifier, RequestState } from '../runtime';
import { ADMIN_SESSION_COOKIE, verifySession } from './session';

export interface OperatorAuth {
  adminToken: string;
  sessionKey: Buffer;
  loginPath: string;
  now: () => number;
  /** Named API keys are accepted as bearers too: `read` ones for GET and HEAD only. */
  apiKeys?: ApiKeyVerifier;
}

/**
 * The queue dashboard's guard: `Authorization: Bearer <ADMIN_TOKEN>` (or a named API key) for scripts, or the signed
 * session cookie set by the login form for browsers. A wrong bearer token is a 401 even when a
 * session cookie is present, so a misconfigured script fails loudly. A browser with neither is sent
 * to the login form; anything else gets 401.
 */
export function requireOperator(auth: OperatorAuth): Middleware<RequestState> {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    if (header) {
      if (isBearer(header, auth.adminToken)) return next();
      const presented = /^Bearer (\S+)$/i.exec(header)?.[1];
      const key = presented !== undefined && auth.apiKeys ? await auth.apiKeys.verify(presented) : undefined;
      if (!key) throw new AppError('unauthorized');
      if (key.scope !== 'full' && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        throw new AppError('forbidden', { message: 'This API key is read-only: it may only GET.' });
      }
      return next();
    }
    if (verifySession(auth.sessionKey, ctx.cookies.get(ADMIN_SESSION_COOKIE), auth.now())) return next();
    if (ctx.method === 'GET' && ctx.accepts('json', 'html') === 'html') {
      ctx.redirect(auth.loginPath);
      return;
    }
    throw new AppError('unauthorized');
  };
}

import type Router from '@koa/router';
import { AppError, basicCredentials, createRouter, isBearer } from '../../runtime';
import type { ApiKeyVerifier, ApiOperation, AppContext, RequestState } from '../../runtime';
import { z } from 'zod';

export const appInstallationOperations: ApiOperation[] = [
  { method: 'delete', path: '/api/app-installations/:id', tag: 'web services', auth: 'admin-or-user',
    summary: 'Revoke an app installation: every token stops working, subscriptions are deleted (the admin, or the user who granted it)',
    params: z.object({ id: z.string() }),
    responses: { 204: { description: 'Revoked', schema: null }, 403: { description: 'A read-only API key', schema: null }, 404: { description: 'No such app installation (or not yours)', schema: null }, 429: { description: 'Too many failed sign-ins', schema: null } } },
];
import { revokeApp } from '../lifecycle';
import { normaliseUsername } from '../users';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'log' | 'now'> & { webServices: WebServices };

/**
 * Who may revoke: the admin (Bearer ADMIN_TOKEN) or the user who granted it, with HTTP Basic
 * username:password (the same account and the same failed-login limits as the consent pages: a
 * slot per account and per address is reserved before the password is checked).
 * Returns the user id, or 'admin'.
 */
async function caller(services: Deps, ctx: AppContext, apiKeys: ApiKeyVerifier | undefined): Promise<{ admin: true } | { admin: false; userId: string }> {
  const header = ctx.get('authorization');
  if (/^Bearer /i.test(header)) {
    if (isBearer(header, services.config.adminToken)) return { admin: true };
    // A named API key acts as the admin; revoking is a write, so only a full one.
    const key = apiKeys ? await apiKeys.verify(/^Bearer (\S+)$/i.exec(header)?.[1] ?? '') : undefined;
    if (!key) throw new AppError('unauthorized');
    if (key.scope !== 'full') throw new AppError('forbidden', { message: 'This API key is read-only: it may only GET.' });
    return { admin: true };
  }
  const creds = basicCredentials(header);
  if (!creds) throw new AppError('unauthorized');
  const { logins, users } = services.webServices;
  const attempt = await logins.attempt(normaliseUsername(creds.user), ctx.ip, () => users.authenticate(creds.user, creds.password));
  if (attempt.limited) throw new AppError('too_many_attempts', { retryAfterS: attempt.retryAfterS });
  if (!attempt.value) throw new AppError('unauthorized');
  return { admin: false, userId: attempt.value.id };
}

export function appInstallationRoutes(services: Deps, apiKeys?: ApiKeyVerifier): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.delete('/api/app-installations/:id', async (ctx) => {
    const who = await caller(services, ctx, apiKeys);
    const app = await services.webServices.apps.get(ctx.params['id'] ?? '');
    // Another user's app answers like a missing one.
    if (!app || (!who.admin && app.userId !== who.userId)) throw new AppError('not_found', { message: 'No such app installation.' });
    if (!(await revokeApp(services, app))) throw new AppError('not_found', { message: 'No such app installation.' });
    ctx.status = 204;
  });
  return router;
}

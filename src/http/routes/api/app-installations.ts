import Router from '@koa/router';
import { AppError } from '../../../errors';
import { constantTimeEqual } from '../../../secrets/crypto';
import type { Services } from '../../../services';
import { revokeApp } from '../../../webservices/lifecycle';
import type { AppContext, RequestState } from '../../context';

function basic(header: string): { username: string; password: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Who may revoke: the admin (Bearer ADMIN_TOKEN) or the user who granted it, with HTTP Basic
 * username:password (the same account and the same failed-login limit as the consent pages).
 * Returns the user id, or 'admin'.
 */
async function caller(services: Services, ctx: AppContext): Promise<{ admin: true } | { admin: false; userId: string }> {
  const header = ctx.get('authorization');
  const bearer = /^Bearer (\S+)$/i.exec(header);
  if (bearer?.[1]) {
    if (constantTimeEqual(bearer[1], services.config.adminToken)) return { admin: true };
    throw new AppError('unauthorized');
  }
  const creds = basic(header);
  if (!creds) throw new AppError('unauthorized');
  const { logins, users } = services.webServices;
  if (await logins.blocked(creds.username, ctx.ip)) throw new AppError('too_many_attempts');
  const user = await users.authenticate(creds.username, creds.password);
  if (!user) {
    await logins.recordFailure(creds.username, ctx.ip);
    throw new AppError('unauthorized');
  }
  await logins.recordSuccess(creds.username);
  return { admin: false, userId: user.id };
}

export function appInstallationRoutes(services: Services): Router<RequestState> {
  const router = new Router<RequestState>();
  router.delete('/api/app-installations/:id', async (ctx) => {
    const who = await caller(services, ctx);
    const app = await services.webServices.apps.get(ctx.params['id'] ?? '');
    // Another user's app answers like a missing one.
    if (!app || (!who.admin && app.userId !== who.userId)) throw new AppError('not_found', { message: 'No such app installation.' });
    if (!(await revokeApp(services, app))) throw new AppError('not_found', { message: 'No such app installation.' });
    ctx.status = 204;
  });
  return router;
}

import type { Linking } from '../linking';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type Router from '@koa/router';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { z } from 'zod';
import { constantTimeEqual, createRouter, guard, guarded, publicRoute, serviceQueues } from '../runtime';
import type { ApiKeyVerifier, RequestState } from '../runtime';
import { requireOperator } from './require-operator';
import { addInstallationPages } from './installation-page-routes';
import { adminLoginPage } from './login-page';
import { operatorLoginLimiter } from '../webservices';
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_TTL_MS, issueSession, sessionKey } from './session';
import type { Ingest } from '../ingest';
import type { Base, QueueOwners } from '../runtime';
import type { Sync } from '../sync';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'now' | 'redis'> & Pick<Ingest, 'callbackTokens' | 'webhooks'> & Pick<Sync, 'scheduler'> & QueueOwners &
  Pick<Platform, 'devices' | 'events' | 'health' | 'installations'> &
  Pick<Cloud, 'clients' | 'revocations' | 'tokens'> &
  Pick<Linking, 'states'>;

export const ADMIN_LOGIN_PATH = '/admin/login';
export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** Where a signed-in operator starts: the installations, with a link to the queue dashboard. */
export const OPERATOR_HOME_PATH = '/admin/installations';

const loginForm = z.object({ token: z.string().max(1024) });

/**
 * The operator's pages: a login form that turns the admin token into a session cookie, and the
 * Bull Board queue dashboard (every queue of the deployment: stuck, delayed and failed jobs, with
 * retry and clean) behind it.
 */
export function adminRoutes(services: Deps, apiKeys?: ApiKeyVerifier): Router<RequestState> {
  const key = sessionKey(services.config.secretKey, services.config.adminToken);
  const router = createRouter<RequestState>({ prefix: '/admin' });
  const logins = operatorLoginLimiter(services);

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });

  router.get('/login', (ctx) => {
    ctx.state.html = true;
    ctx.type = 'html';
    ctx.body = adminLoginPage({ action: ADMIN_LOGIN_PATH });
  });

  router.post('/login', bodyParser({ enableTypes: ['form'], formLimit: '8kb' }), async (ctx) => {
    ctx.state.html = true;
    // A slot per address is reserved before the token is compared (one shared token, so no account
    // count): parallel guesses cannot all pass the check, and a blocked address learns nothing.
    const parsed = loginForm.safeParse(ctx.request.body);
    const presented = parsed.success ? parsed.data.token : undefined;
    const attempt = await logins.attempt(undefined, ctx.ip, async () =>
      presented !== undefined && constantTimeEqual(presented, services.config.adminToken) ? true : undefined,
    );
    if (attempt.limited) {
      ctx.state.log.warn({ status: 429 }, 'operator sign-in blocked: too many failures from this address');
      ctx.status = 429;
      ctx.set('Retry-After', String(attempt.retryAfterS));
      ctx.type = 'html';
      ctx.body = adminLoginPage({ action: ADMIN_LOGIN_PATH, error: 'Too many failed sign-ins from this address. Try again later.' });
      return;
    }
    if (!attempt.value) {
      ctx.state.log.info({ status: 401 }, 'operator sign-in refused');
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = adminLoginPage({ action: ADMIN_LOGIN_PATH, error: 'That is not the admin token.' });
      return;
    }
    ctx.cookies.set(ADMIN_SESSION_COOKIE, issueSession(key, services.now()), {
      httpOnly: true,
      sameSite: 'strict', // the dashboard's retry/clean actions are POSTs: no cross-site requests
      // Secure follows the public URL (security-headers sets ctx.cookies.secure), not the last hop.
      path: '/admin',
      maxAge: ADMIN_SESSION_TTL_MS,
      overwrite: true,
    });
    ctx.status = 303;
    ctx.redirect(OPERATOR_HOME_PATH);
  });

  router.post('/logout', (ctx) => {
    ctx.cookies.set(ADMIN_SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/admin', maxAge: 0, overwrite: true });
    ctx.status = 303;
    ctx.redirect(ADMIN_LOGIN_PATH);
  });

  const board = new KoaAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    // Partition queues share their name (`poll`): each is listed under its own (`p3 poll`, shown as `poll p3`).
    queues: serviceQueues(services).map(({ queue, label, partition }) =>
      label === queue.name ? new BullMQAdapter(queue) : new BullMQAdapter(queue, { prefix: partition === undefined ? 'single ' : `p${partition} `, displayName: label }),
    ),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Queues' } },
  });
  const operator = requireOperator({
    adminToken: services.config.adminToken,
    sessionKey: key,
    loginPath: ADMIN_LOGIN_PATH,
    now: services.now,
    ...(apiKeys ? { apiKeys } : {}),
  });
  // Bull Board mounts its own Koa app; its middleware type knows nothing of our request state.
  const plugin = board.registerPlugin() as unknown as Middleware<RequestState>;
  const dashboardPath = QUEUE_DASHBOARD_PATH.slice('/admin'.length);
  router.all([dashboardPath, `${dashboardPath}/*rest`], guard('operator-session', operator), plugin);
  addInstallationPages(router, services, operator);
  // The login form and sign-out: anyone may ask for them.
  return guarded(router, publicRoute());
}

import type Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { z } from 'zod';
import { AppError, createRouter, guarded, publicRoute, randomToken } from '../../runtime';
import type { AppContext, RequestState } from '../../runtime';
import { checkAuthorizeRequest, type ClientView } from '../authorize-request';
import { csrfMatches, type AuthorizeSession } from '../authorize-session';
import { redirectWith } from '../redirect-uri';
import { normaliseUsername } from '../users';
import { devicesPage, locationPage, loginPage, type DeviceOption } from './pages';
import type { Platform } from '../../platform';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'now'> &
  Pick<Platform, 'devices' | 'installations'> &
  { webServices: WebServices };

/** The signed-in session (Redis), from sign-in to the consent decision. */
const SESSION_COOKIE = 'sm_authz';
/** Before sign-in: only a nonce binding the sealed request in the form to this browser. */
const PENDING_COOKIE = 'sm_authz_pending';
const COOKIE_PATH = '/oauth/authorize';
const CONTINUE = '/oauth/authorize/continue';

const loginForm = z.object({ username: z.string().max(200), password: z.string().max(1000) });
const locationForm = z.object({ csrf: z.unknown(), locationId: z.string().max(200) });
const consentForm = z.object({
  csrf: z.unknown(),
  decision: z.enum(['allow', 'deny']),
  devices: z.union([z.string(), z.array(z.string())]).optional(),
});

/**
 * The authorization endpoint (RFC 6749 §4.1.1) as a few server-rendered pages: sign in → choose a
 * location → choose devices → Authorize / Deny. Steps post to their own URL and redirect (303) to
 * /continue, which renders whatever step the session is at, so reloads never resubmit.
 *
 * Nothing is written to Redis before a user has signed in: the sign-in page carries the validated
 * request sealed in its form (see AuthorizationSealer), bound to a nonce cookie, so a flood of
 * authorize requests costs no storage. Sign-in creates the session.
 * CSRF: the sign-in form is bound to the browser by that nonce, later forms carry the session's
 * token (synchronizer pattern); both cookies are SameSite=Lax; the pages refuse to be framed
 * (clickjacking of the Authorize button).
 */
export function authorizeRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/oauth/authorize' });
  const ws = services.webServices;
  const form = bodyParser({ enableTypes: ['form'], formLimit: '32kb' });

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    await next();
  });

  const setCookie = (ctx: AppContext, name: string, value: string | null) =>
    ctx.cookies.set(name, value, {
      httpOnly: true,
      sameSite: 'lax',
      path: COOKIE_PATH,
      maxAge: services.config.stateTtlS * 1000,
      overwrite: true,
    });

  /** The session named by the cookie, checked against the form's CSRF token. */
  async function sessionFor(ctx: AppContext, csrf?: unknown): Promise<{ id: string; session: AuthorizeSession }> {
    const id = ctx.cookies.get(SESSION_COOKIE);
    const session = await ws.sessions.get(id);
    if (!id || !session) throw new AppError('authorization_expired');
    if (csrf !== undefined || ctx.method === 'POST') {
      if (!csrfMatches(session, csrf)) throw new AppError('csrf_failed');
    }
    return { id, session };
  }

  async function clientOf(clientId: string): Promise<ClientView> {
    const client = await ws.clients.get(clientId);
    if (!client) throw new AppError('unknown_client');
    return client;
  }

  /** Child devices of every installation at the location: the only devices the user may share. */
  async function devicesAt(locationId: string): Promise<DeviceOption[]> {
    const out: DeviceOption[] = [];
    for (const inst of await services.installations.list({ locationId })) {
      const title = services.connectors.get(inst.connector)?.definition.title ?? inst.connector;
      for (const d of await services.devices.list(inst.id)) out.push({ id: d.id, label: d.label, type: d.type, source: title });
    }
    return out;
  }

  async function render(ctx: AppContext, session: AuthorizeSession, error?: string): Promise<void> {
    const client = await clientOf(session.clientId);
    const user = await ws.users.get(session.userId);
    if (!user) throw new AppError('authorization_expired');
    ctx.type = 'html';
    if (!session.location) {
      ctx.body = locationPage({ clientName: client.name, csrf: session.csrf, username: user.username, locations: user.locations });
    } else {
      ctx.body = devicesPage({
        clientName: client.name,
        csrf: session.csrf,
        location: session.location,
        scopes: session.scopes,
        devices: await devicesAt(session.location.id),
        error,
      });
    }
  }

  router.get('/', async (ctx) => {
    const clients = new Map<string, ClientView>();
    const clientId = ctx.query['client_id'];
    if (typeof clientId === 'string') {
      const client = await ws.clients.get(clientId);
      if (client) clients.set(clientId, client);
    }
    const check = checkAuthorizeRequest(ctx.query, (id) => clients.get(id));
    if (check.kind === 'page') throw new AppError(check.code, { message: check.message });
    if (check.kind === 'redirect') {
      ctx.redirect(redirectWith(check.redirectUri, { error: check.error, error_description: check.description, state: check.state }));
      return;
    }
    const { client, redirectUri, scopes, state, codeChallenge } = check.request;
    const nonce = randomToken();
    const sealed = ws.pending.seal({ clientId: client.clientId, redirectUri, scopes, state, codeChallenge }, nonce, services.now());
    setCookie(ctx, PENDING_COOKIE, nonce);
    ctx.type = 'html';
    ctx.body = loginPage({ clientName: client.name, request: sealed });
  });

  router.get('/continue', async (ctx) => {
    const { session } = await sessionFor(ctx);
    await render(ctx, session);
  });

  router.post('/login', form, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const sealed = typeof body['request'] === 'string' ? body['request'] : '';
    // Opened before anything is counted or checked: a forged, stale or borrowed form costs no slot.
    const opened = ws.pending.open(sealed, ctx.cookies.get(PENDING_COOKIE), services.now());
    if (!opened.ok) throw new AppError(opened.reason === 'other_browser' ? 'csrf_failed' : 'authorization_expired');
    const { request } = opened;
    const client = await clientOf(request.clientId);
    const parsed = loginForm.safeParse(body);
    if (!parsed.success) throw new AppError('bad_request', { message: 'Enter a username and a password.' });
    const { username, password } = parsed.data;
    const attempt = await ws.logins.attempt(normaliseUsername(username), ctx.ip, () => ws.users.authenticate(username, password));
    if (attempt.limited) {
      // The form again (a page, whatever the Accept header), so the user learns when to come back.
      const minutes = Math.ceil(attempt.retryAfterS / 60);
      ctx.status = 429;
      ctx.set('Retry-After', String(attempt.retryAfterS));
      ctx.type = 'html';
      ctx.body = loginPage({
        clientName: client.name,
        request: sealed,
        error: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        username,
      });
      return;
    }
    const user = attempt.value;
    if (!user) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage({ clientName: client.name, request: sealed, error: 'Wrong username or password.', username });
      return;
    }
    const { state, codeChallenge, ...rest } = request;
    const { id } = await ws.sessions.create({
      ...rest,
      ...(state !== undefined ? { state } : {}),
      ...(codeChallenge !== undefined ? { codeChallenge } : {}),
      userId: user.id,
    });
    setCookie(ctx, SESSION_COOKIE, id);
    setCookie(ctx, PENDING_COOKIE, null);
    ctx.status = 303;
    ctx.redirect(CONTINUE);
  });

  router.post('/location', form, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const { id, session } = await sessionFor(ctx, body['csrf']);
    const user = await ws.users.get(session.userId);
    if (!user) throw new AppError('authorization_expired');
    const parsed = locationForm.safeParse(body);
    const location = parsed.success ? user.locations.find((l) => l.id === parsed.data.locationId) : undefined;
    if (!location) throw new AppError('bad_request', { message: 'Choose one of your locations.' });
    await ws.sessions.update(id, { ...session, location });
    ctx.status = 303;
    ctx.redirect(CONTINUE);
  });

  router.post('/consent', form, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const { id, session } = await sessionFor(ctx, body['csrf']);
    if (!session.location) throw new AppError('authorization_expired');
    const parsed = consentForm.safeParse(body);
    if (!parsed.success) throw new AppError('bad_request', { message: 'Choose Authorize or Deny.' });
    const state = session.state;

    if (parsed.data.decision === 'deny') {
      if (!(await ws.sessions.delete(id))) throw new AppError('authorization_expired');
      setCookie(ctx, SESSION_COOKIE, null);
      ctx.status = 303;
      ctx.redirect(redirectWith(session.redirectUri, { error: 'access_denied', error_description: 'The user denied access.', state }));
      return;
    }

    const chosen = [...new Set([parsed.data.devices ?? []].flat())];
    if (chosen.length === 0) {
      ctx.status = 400;
      await render(ctx, session, 'Choose at least one device, or deny.');
      return;
    }
    const available = new Map<string, string>();
    for (const inst of await services.installations.list({ locationId: session.location.id })) {
      for (const d of await services.devices.list(inst.id)) available.set(d.id, inst.id);
    }
    const devices = chosen.map((deviceId) => ({ deviceId, installationId: available.get(deviceId) }));
    if (devices.some((d) => d.installationId === undefined)) {
      throw new AppError('bad_request', { message: 'One of the chosen devices is not at this location.' });
    }
    const client = await clientOf(session.clientId);
    // Single use: a consent form posted twice (double click, replay) yields one app installation.
    if (!(await ws.sessions.delete(id))) throw new AppError('authorization_expired');
    const now = services.now();
    const app = await ws.apps.create(
      {
        clientId: client.clientId,
        userId: session.userId,
        location: session.location,
        scopes: session.scopes,
        devices: devices.map((d) => ({ deviceId: d.deviceId, installationId: d.installationId ?? '' })),
      },
      new Date(now),
    );
    const code = await ws.grants.createCode(
      { clientId: client.clientId, appId: app.id, redirectUri: session.redirectUri, scopes: session.scopes, codeChallenge: session.codeChallenge },
      now,
    );
    setCookie(ctx, SESSION_COOKIE, null);
    ctx.status = 303;
    ctx.redirect(redirectWith(session.redirectUri, { code, state }));
  });

  // The end user's own sign-in and consent pages: public, each step checks the session it continues.
  return guarded(router, publicRoute());
}

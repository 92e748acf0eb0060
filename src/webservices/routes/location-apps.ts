import type Router from '@koa/router';
import {
  AppError,
  createRouter,
  formCsrfKey,
  formCsrfMatches,
  guarded,
  html,
  installationToken,
  isSameOriginSubmission,
  issueFormCsrf,
  page,
} from '../../runtime';
import type { AppContext, RequestState, Base } from '../../runtime';
import { authenticateInstallation, type Installation } from '../../platform';
import type { AppInstallation } from '../app-installations';
import { revokeApp } from '../lifecycle';
import { SCOPE_TEXT } from './pages';
import type { Platform } from '../../platform';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'log' | 'now'> &
  Pick<Platform, 'devices' | 'installations'> &
  { webServices: WebServices };

const FORM_TTL_MS = 4 * 3600 * 1000;

export interface AppView {
  id: string;
  clientName: string;
  grantedAt: string;
  abilities: string[];
  devices: string[];
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

export function locationAppsPage(input: {
  title: string;
  apps: AppView[];
  action: (appId: string) => string;
  auth: { appId: string; accessToken: string; csrf: string };
  devicesUrl: string;
  notice: string | undefined;
}): string {
  return page(
    'Apps with access',
    html`<nav><p><a href="${input.devicesUrl}">← Your ${input.title} devices</a></p></nav>
<h1>Apps with access to your ${input.title} devices</h1>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${
  input.apps.length === 0
    ? html`<p class="muted">No app has access to these devices.</p>`
    : html`<p>You authorized these apps to use some of your devices. Revoking one stops it at once: its access ends and it is told it was removed.</p>
${input.apps.map(
  (a) => html`<section aria-labelledby="app-${a.id}">
<h2 id="app-${a.id}">${a.clientName}</h2>
<p class="muted">Authorized ${a.grantedAt.slice(0, 10)} · may ${a.abilities.join(', ').toLowerCase()}</p>
<p>Devices: ${a.devices.join(', ')}</p>
<form method="post" action="${input.action(a.id)}">
<input type="hidden" name="appId" value="${input.auth.appId}">
<input type="hidden" name="access_token" value="${input.auth.accessToken}">
<input type="hidden" name="csrf" value="${input.auth.csrf}">
<div class="actions"><button type="submit" aria-label="Revoke ${a.clientName}">Revoke</button></div>
</form>
</section>`,
)}`
}`,
  );
}

/**
 * The end user's list of external apps (Web Services app installations) holding a grant on this
 * installation's devices, each with a Revoke button: reached like setup, with the installation's
 * own token; the form also carries a CSRF token bound to the installation.
 */
export function locationAppRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/connectors/:connector' });
  const publicUrl = services.config.publicUrl;
  const publicOrigin = new URL(publicUrl).origin;
  const csrfKey = formCsrfKey(services.config.secretKey, 'user-pages');
  const ws = services.webServices;

  router.use(async (ctx, next) => {
    ctx.state.page = true;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'same-origin'); // the form's POST must carry our Origin, not `null`
    await next();
  });

  async function signIn(ctx: AppContext, fields: { appId: unknown; accessToken: unknown }) {
    const name = ctx.params['connector'] ?? '';
    const connector = services.connectors.get(name);
    if (!connector) throw new AppError('unknown_connector');
    const installation = await authenticateInstallation(services.installations, { connector: name, appId: fields.appId, accessToken: fields.accessToken });
    const token = fields.accessToken as string;
    const url = (path: string, extra: Record<string, string> = {}) =>
      `${publicUrl}/connectors/${encodeURIComponent(name)}${path}?${new URLSearchParams({ appId: installation.id, access_token: token, ...extra })}`;
    return { connector, installation, token, url };
  }

  /** Apps granted any device of this installation, at its location. */
  async function appsOf(installation: Installation): Promise<{ app: AppInstallation; devices: string[] }[]> {
    const devices = await services.devices.list(installation.id);
    const labels = new Map(devices.map((d) => [d.id, d.label]));
    const ids = new Set<string>();
    for (const d of devices) for (const id of await ws.apps.forDevice(d.id)) ids.add(id);
    const out: { app: AppInstallation; devices: string[] }[] = [];
    for (const id of ids) {
      const app = await ws.apps.get(id);
      if (!app || app.location.id !== installation.locationId) continue;
      const mine = app.devices.filter((d) => d.installationId === installation.id).map((d) => labels.get(d.deviceId) ?? 'a removed device');
      if (mine.length > 0) out.push({ app, devices: mine });
    }
    return out.sort((a, b) => a.app.createdAt.localeCompare(b.app.createdAt));
  }

  router.get('/apps', async (ctx) => {
    const session = await signIn(ctx, { appId: single(ctx.query['appId']), accessToken: single(ctx.query['access_token']) });
    const apps = await appsOf(session.installation);
    const views: AppView[] = [];
    for (const { app, devices } of apps) {
      const client = await ws.clients.get(app.clientId);
      views.push({ id: app.id, clientName: client?.name ?? 'An app that no longer exists', grantedAt: app.createdAt, abilities: app.scopes.map((s) => SCOPE_TEXT[s]), devices });
    }
    ctx.type = 'html';
    ctx.body = locationAppsPage({
      title: session.connector.definition.title,
      apps: views,
      action: (id) => `/connectors/${encodeURIComponent(session.connector.definition.name)}/apps/${encodeURIComponent(id)}/revoke`,
      auth: { appId: session.installation.id, accessToken: session.token, csrf: issueFormCsrf(csrfKey, ['apps', session.installation.id], services.now() + FORM_TTL_MS) },
      devicesUrl: session.url('/devices'),
      notice: single(ctx.query['done']) === 'revoked' ? 'The app’s access was revoked.' : undefined,
    });
  });

  router.post('/apps/:app/revoke', async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const session = await signIn(ctx, { appId: body['appId'], accessToken: body['access_token'] });
    const header = (name: string) => ctx.get(name) || undefined;
    const source = { secFetchSite: header('sec-fetch-site')?.toLowerCase(), origin: header('origin'), referer: header('referer') };
    if (!isSameOriginSubmission(source, publicOrigin) || !formCsrfMatches(csrfKey, ['apps', session.installation.id], body['csrf'], services.now())) {
      throw new AppError('csrf_failed', { message: 'This form has expired or was not sent from this page. Reload the page and try again.' });
    }
    const back = { href: session.url('/apps'), label: 'Back to the apps with access' };
    // Only an app holding this installation's devices: another location's app answers like a missing one.
    const found = (await appsOf(session.installation)).find((a) => a.app.id === ctx.params['app']);
    if (!found) {
      ctx.state.errorPage = { back };
      throw new AppError('not_found', { message: 'This app has no access to these devices (any more).' });
    }
    ctx.state.errorPage = { back };
    await revokeApp(services, found.app);
    ctx.status = 303;
    ctx.redirect(session.url('/apps', { done: 'revoked' }));
  });

  return guarded(router, installationToken());
}

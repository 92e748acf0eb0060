import type { Linking } from '../linking';
import type { Ingest } from '../ingest';
import type { Cloud } from '../cloud';
import type Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import type { Middleware } from 'koa';
import { AppError, formCsrfKey, formCsrfMatches, guard, isSameOriginSubmission, issueFormCsrf } from '../runtime';
import type { AppContext, RequestState, Base } from '../runtime';
import { requireInstallation, requireLinked, type PlatformEvent } from '../platform';
import { ensureSubscribed } from '../ingest';
import { stateRows } from '../linking';
import { HEALTH_STATES, readHealth, type InstallationHealth } from './installation-health';
import { installationPage, installationsPage, type OperatorLinks } from './installation-pages';
import { ADMIN_SESSION_COOKIE } from './session';
import { uninstall } from './uninstall';
import type { Platform } from '../platform';
import type { Sync } from '../sync';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'now' | 'redis'> &
  Pick<Platform, 'devices' | 'events' | 'health' | 'installations'> &
  Pick<Sync, 'scheduler'> &
  Pick<Cloud, 'clients' | 'revocations' | 'tokens'> &
  Pick<Ingest, 'callbackTokens' | 'webhooks'> &
  Pick<Linking, 'states'>;

/** Rows on one list page: the page stays fast; a search narrows a large deployment down. */
export const LIST_LIMIT = 200;
const FORM_TTL_MS = 8 * 3600 * 1000;
/** How many of its newest events an installation's page shows. */
const RECENT_EVENTS = 20;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

function summary(attrs: Readonly<Record<string, unknown>>): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

function eventDetail(e: PlatformEvent): string {
  const d = e.data;
  if (e.type === 'device.renamed') return `${String(d['from'])} → ${String(d['to'])}`;
  if (e.type === 'device.stateChanged' && typeof d['changed'] === 'object' && d['changed'] !== null) {
    return summary(d['changed'] as Record<string, unknown>);
  }
  if (e.type === 'device.added' || e.type === 'device.removed') return String(d['name'] ?? '');
  const text = JSON.stringify(d);
  return text === '{}' ? '' : text.slice(0, 200);
}

/**
 * The operator's installation pages on the `/admin` router, behind the operator session (or the
 * admin token as a bearer): the list with health, filters and search; one installation with its
 * devices, recent events and actions. A browser's POSTs carry a CSRF token bound to its session
 * cookie and must come from our origin; a script with the bearer token needs neither.
 */
export function addInstallationPages(router: Router<RequestState>, services: Deps, operator: Middleware<RequestState>): void {
  const publicOrigin = new URL(services.config.publicUrl).origin;
  const csrfKey = formCsrfKey(services.config.secretKey, 'operator');
  const operatorSession = guard<RequestState>('operator-session', operator);
  const form = bodyParser({ enableTypes: ['form'], formLimit: '8kb' }) as unknown as Middleware<RequestState>;
  const links: OperatorLinks = { list: '/admin/installations', queues: '/admin/queues', logout: '/admin/logout' };
  const pageOf = (id: string) => `/admin/installations/${encodeURIComponent(id)}`;

  const asPage: Middleware<RequestState> = async (ctx, next) => {
    ctx.state.page = true;
    ctx.state.errorPage = { back: { href: links.list, label: 'Back to the installations' } };
    // Forms post back here: same-origin keeps our Origin on the POST without sending the URL elsewhere.
    ctx.set('Referrer-Policy', 'same-origin');
    await next();
  };

  /** The session cookie's CSRF token; undefined for a bearer caller (no cookie can be forged into a header). */
  function csrfFor(ctx: AppContext): string | undefined {
    if (ctx.get('authorization')) return undefined;
    return issueFormCsrf(csrfKey, [ctx.cookies.get(ADMIN_SESSION_COOKIE) ?? ''], services.now() + FORM_TTL_MS);
  }

  function checkForm(ctx: AppContext): Record<string, unknown> {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (ctx.get('authorization')) return body;
    const header = (name: string) => ctx.get(name) || undefined;
    const source = { secFetchSite: header('sec-fetch-site')?.toLowerCase(), origin: header('origin'), referer: header('referer') };
    const cookie = ctx.cookies.get(ADMIN_SESSION_COOKIE) ?? '';
    if (!isSameOriginSubmission(source, publicOrigin) || !formCsrfMatches(csrfKey, [cookie], body['csrf'], services.now())) {
      throw new AppError('csrf_failed', { message: 'This form has expired or was not sent from this page. Reload the page and try again.' });
    }
    return body;
  }

  router.get('/installations', operatorSession, asPage, async (ctx) => {
    const connector = single(ctx.query['connector']) || undefined;
    const health = single(ctx.query['health']) || undefined;
    const q = (single(ctx.query['q']) ?? '').trim().slice(0, 200);
    const needle = q.toLowerCase();
    const titleOf = (name: string) => services.connectors.get(name)?.definition.title ?? name;
    const candidates = (await services.installations.list()).filter((i) => {
      if (connector !== undefined && i.connector !== connector) return false;
      if (needle === '') return true;
      return [i.id, i.locationId, i.connector, titleOf(i.connector)].some((v) => v.toLowerCase().includes(needle));
    });
    const healths = new Map<string, InstallationHealth>();
    await Promise.all(candidates.map(async (i) => healths.set(i.id, await readHealth(services, i, false))));
    const matching = health === undefined ? candidates : candidates.filter((i) => healths.get(i.id)?.state === health);
    const shown = matching.slice(0, LIST_LIMIT);
    await Promise.all(shown.map(async (i) => healths.set(i.id, await readHealth(services, i))));
    const done = single(ctx.query['done']);
    ctx.type = 'html';
    ctx.body = installationsPage({
      rows: shown.map((i) => ({
        id: i.id,
        href: pageOf(i.id),
        connectorTitle: titleOf(i.connector),
        locationId: i.locationId,
        health: healths.get(i.id) ?? { state: i.status },
      })),
      total: matching.length,
      shownLimit: LIST_LIMIT,
      connectors: [...services.connectors.values()].map((c) => ({ name: c.definition.name, title: c.definition.title })),
      filter: { connector, health: health && HEALTH_STATES.includes(health as never) ? health : undefined, q: q || undefined },
      links,
      csrf: csrfFor(ctx),
      notice: done === 'uninstalled' ? 'The installation was uninstalled.' : undefined,
    });
  });

  router.get('/installations/:id', operatorSession, asPage, async (ctx) => {
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    const connector = services.connectors.get(installation.connector);
    const devices = await services.devices.list(installation.id);
    const labels = new Map(devices.map((d) => [d.id, d.label]));
    const recent = await services.events.recent(installation.id, RECENT_EVENTS);
    const events = recent.events;
    const webhooks = connector?.definition.webhook !== undefined;
    const done = single(ctx.query['done']);
    const notices: Record<string, string> = { polled: 'A poll was queued.', rotated: 'The callback URL was rotated and registered with the cloud.' };
    ctx.type = 'html';
    ctx.body = installationPage({
      installation: { ...installation, connectorTitle: connector?.definition.title ?? installation.connector },
      health: await readHealth(services, installation),
      devices: devices.map((d) => ({
        label: d.label,
        name: d.name,
        type: d.type,
        summary: stateRows(d.attributes).map((r) => `${r.label} ${r.value}`).join(' · '),
        updatedAt: d.updatedAt,
      })),
      events: events.map((e) => ({ at: e.at, type: e.type, device: e.deviceId ? (labels.get(e.deviceId) ?? e.deviceId) : undefined, detail: eventDetail(e) })),
      eventsSearchStopped: events.length < RECENT_EVENTS && recent.next !== undefined,
      actions: {
        poll: `${pageOf(installation.id)}/poll`,
        rotate: webhooks && installation.status === 'linked' ? `${pageOf(installation.id)}/rotate-callback` : undefined,
        uninstall: `${pageOf(installation.id)}/uninstall`,
      },
      rotateUnavailable: !webhooks
        ? 'This connector takes no callbacks: there is no callback URL to rotate.'
        : installation.status !== 'linked'
          ? 'The callback URL can be rotated once the installation is linked.'
          : undefined,
      links,
      csrf: csrfFor(ctx),
      notice: done && Object.hasOwn(notices, done) ? notices[done] : undefined,
    });
  });

  router.post('/installations/:id/poll', operatorSession, asPage, form, async (ctx) => {
    checkForm(ctx);
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    ctx.state.errorPage = { back: { href: pageOf(installation.id), label: 'Back to the installation' } };
    await services.scheduler.pollNow(installation.id, 'manual');
    ctx.status = 303;
    ctx.redirect(`${pageOf(installation.id)}?done=polled`);
  });

  router.post('/installations/:id/rotate-callback', operatorSession, asPage, form, async (ctx) => {
    checkForm(ctx);
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    ctx.state.errorPage = { back: { href: pageOf(installation.id), label: 'Back to the installation' } };
    requireLinked(installation);
    if (!services.connectors.get(installation.connector)?.definition.webhook) {
      throw new AppError('bad_request', { message: 'This connector takes no callbacks: there is no callback URL to rotate.' });
    }
    await ensureSubscribed(services, installation.id);
    ctx.status = 303;
    ctx.redirect(`${pageOf(installation.id)}?done=rotated`);
  });

  router.post('/installations/:id/uninstall', operatorSession, asPage, form, async (ctx) => {
    const body = checkForm(ctx);
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    ctx.state.errorPage = { back: { href: pageOf(installation.id), label: 'Back to the installation' } };
    if (body['confirm'] !== 'yes') {
      throw new AppError('bad_request', { message: 'Tick the box to confirm the uninstall; nothing was changed.' });
    }
    await uninstall(services, installation.id);
    ctx.status = 303;
    ctx.redirect(`${links.list}?done=uninstalled`);
  });
}

import type { Linking } from './build';
import type { Sync } from '../sync';
import type { Ingest } from '../ingest';
import type { Cloud } from '../cloud';
import type Router from '@koa/router';
import { AppError, createRouter, formCsrfKey, formCsrfMatches, guarded, installationToken, issueFormCsrf } from '../runtime';
import type { AppContext, RequestState, Base } from '../runtime';
import type { ChildDevice } from '../connectors';
import type { Installation } from '../platform';
import { connectorFor, runCommand, setDeviceLabel } from '../sync';
import { argumentsFrom, commandForms } from './command-forms';
import { devicePage, devicesOverviewPage, type DeviceLinks, type FormAuth } from './device-pages';
import { enabledConnector } from './flow';
import { authenticateInstallation } from '../platform';
import { isSameOriginSubmission } from '../runtime';
import { readingSummary } from './reading-summary';
import { userPageUrl } from './urls';
import type { Platform } from '../platform';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Platform, 'devices' | 'events' | 'health' | 'installations'> &
  Pick<Cloud, 'clients' | 'tokens'> &
  Pick<Ingest, 'callbackTokens'> &
  Pick<Sync, 'scheduler'> &
  Pick<Linking, 'states'>;

/** How long a device page's forms stay valid: a page left open over lunch still works. */
const FORM_TTL_MS = 4 * 3600 * 1000;
export const MAX_LABEL_LENGTH = 100;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

/** A label as the person meant it: trimmed; 1–100 characters (code points, so an emoji counts once). */
export function checkLabel(raw: unknown): { ok: true; label: string } | { ok: false; message: string } {
  const label = typeof raw === 'string' ? raw.trim() : '';
  if (label.length === 0) return { ok: false, message: 'Enter a name for the device.' };
  const length = [...label].length;
  if (length > MAX_LABEL_LENGTH) {
    return { ok: false, message: `A name can be at most ${MAX_LABEL_LENGTH} characters; this one has ${length}.` };
  }
  if (/\p{Cc}/u.test(label)) return { ok: false, message: 'A name cannot contain control characters.' };
  return { ok: true, label };
}

/**
 * The end user's device pages, reached like setup with the installation's own token (appId +
 * access_token): every synced device, one device's state with rename and the connector's commands.
 * Forms carry that token and a CSRF token bound to the installation, and must come from our origin.
 */
export function deviceRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/connectors/:connector' });
  const publicUrl = services.config.publicUrl;
  const publicOrigin = new URL(publicUrl).origin;
  const csrfKey = formCsrfKey(services.config.secretKey, 'user-pages');

  router.use(async (ctx, next) => {
    ctx.state.page = true;
    ctx.set('Cache-Control', 'no-store');
    // Not no-referrer: under it browsers send `Origin: null` with a form's POST, which the POST
    // refuses. same-origin still sends the page's URL (with its token) to no other site.
    ctx.set('Referrer-Policy', 'same-origin');
    await next();
  });

  async function signIn(ctx: AppContext, fields: { appId: unknown; access_token: unknown }) {
    const connector = enabledConnector(services, ctx.params['connector'] ?? '');
    const installation = await authenticateInstallation(services.installations, {
      connector: connector.definition.name,
      appId: fields.appId,
      accessToken: fields.access_token,
    });
    const token = fields.access_token as string;
    const name = connector.definition.name;
    const url = (path: string, extra: Record<string, string> = {}) => userPageUrl(publicUrl, name, path, installation.id, token, extra);
    const links: DeviceLinks = { overview: url('/devices'), setup: url('/setup'), apps: url('/apps') };
    return { connector, installation, token, url, links };
  }

  function formAuth(installation: Installation, token: string): FormAuth {
    return { appId: installation.id, accessToken: token, csrf: issueFormCsrf(csrfKey, ['devices', installation.id], services.now() + FORM_TTL_MS) };
  }

  /** The POST's body, once it proved it came from our own page for this installation. */
  function checkedForm(ctx: AppContext, installation: Installation): Record<string, unknown> {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const header = (name: string) => ctx.get(name) || undefined;
    const source = { secFetchSite: header('sec-fetch-site')?.toLowerCase(), origin: header('origin'), referer: header('referer') };
    if (!isSameOriginSubmission(source, publicOrigin) || !formCsrfMatches(csrfKey, ['devices', installation.id], body['csrf'], services.now())) {
      throw new AppError('csrf_failed', { message: 'This form has expired or was not sent from this page. Reload the page and try again.' });
    }
    return body;
  }

  async function deviceOf(ctx: AppContext, installation: Installation, back: string): Promise<ChildDevice> {
    const device = await services.devices.get(installation.id, ctx.params['deviceId'] ?? '');
    if (!device) {
      ctx.state.errorPage = { back: { href: back, label: 'Back to your devices' } };
      throw new AppError('not_found', { message: 'This device is not synced (any more). It may have been removed from your account or from the selection.' });
    }
    return device;
  }

  async function renderDevice(
    ctx: AppContext,
    session: Awaited<ReturnType<typeof signIn>>,
    device: ChildDevice,
    extra: { notice?: string; error?: string; labelInput?: string } = {},
  ): Promise<void> {
    const { connector, installation, token } = session;
    const definition = connectorFor(services, installation).definition;
    ctx.type = 'html';
    ctx.body = devicePage({
      title: connector.definition.title,
      device,
      commands: commandForms(definition.commands, device),
      base: `/connectors/${encodeURIComponent(connector.definition.name)}/devices/${encodeURIComponent(device.id)}`,
      auth: formAuth(installation, token),
      links: session.links,
      commandsUnavailable:
        installation.status === 'linked' ? undefined : `Reconnect your ${connector.definition.title} account on the setup page to control this device again.`,
      ...extra,
    });
  }

  router.get('/devices', async (ctx) => {
    const session = await signIn(ctx, { appId: single(ctx.query['appId']), access_token: single(ctx.query['access_token']) });
    const devices = await services.devices.list(session.installation.id);
    ctx.type = 'html';
    ctx.body = devicesOverviewPage({
      title: session.connector.definition.title,
      devices: devices.map((d) => ({
        label: d.label,
        type: d.type,
        summary: readingSummary(d.attributes),
        href: session.url(`/devices/${encodeURIComponent(d.id)}`),
      })),
      links: session.links,
      notice: single(ctx.query['saved']) ? 'Your choice was saved.' : undefined,
    });
  });

  const NOTICES: Record<string, string> = {
    renamed: 'The new name was saved.',
    sent: 'Sent to the device. Its new state shows here once the cloud reports it, usually within a minute.',
  };

  router.get('/devices/:deviceId', async (ctx) => {
    const session = await signIn(ctx, { appId: single(ctx.query['appId']), access_token: single(ctx.query['access_token']) });
    const device = await deviceOf(ctx, session.installation, session.links.overview);
    const done = single(ctx.query['done']);
    await renderDevice(ctx, session, device, done && Object.hasOwn(NOTICES, done) ? { notice: NOTICES[done] as string } : {});
  });

  router.post('/devices/:deviceId/label', async (ctx) => {
    const fields = (ctx.request.body ?? {}) as Record<string, unknown>;
    const session = await signIn(ctx, { appId: fields['appId'], access_token: fields['access_token'] });
    const body = checkedForm(ctx, session.installation);
    const device = await deviceOf(ctx, session.installation, session.links.overview);
    const checked = checkLabel(body['label']);
    if (!checked.ok) {
      ctx.status = 400;
      await renderDevice(ctx, session, device, { error: checked.message, labelInput: typeof body['label'] === 'string' ? body['label'] : '' });
      return;
    }
    // The same rename as the admin API's PATCH: under the sync lock, so a poll cannot undo it.
    await setDeviceLabel(services, session.installation.id, device.id, checked.label);
    ctx.status = 303;
    ctx.redirect(session.url(`/devices/${encodeURIComponent(device.id)}`, { done: 'renamed' }));
  });

  router.post('/devices/:deviceId/commands/:command', async (ctx) => {
    const fields = (ctx.request.body ?? {}) as Record<string, unknown>;
    const session = await signIn(ctx, { appId: fields['appId'], access_token: fields['access_token'] });
    const body = checkedForm(ctx, session.installation);
    const device = await deviceOf(ctx, session.installation, session.links.overview);
    const definition = connectorFor(services, session.installation).definition;
    const form = commandForms(definition.commands, device).find((c) => c.name === ctx.params['command']);
    if (!form) {
      ctx.status = 400;
      await renderDevice(ctx, session, device, { error: `This device has no command “${ctx.params['command'] ?? ''}”.` });
      return;
    }
    const back = session.url(`/devices/${encodeURIComponent(device.id)}`);
    try {
      await runCommand(services, { installationId: session.installation.id, deviceId: device.id, command: form.name, arguments: argumentsFrom(form, body) });
    } catch (err) {
      // The person's own mistake (a value out of range) is shown on the page, next to the form.
      if (err instanceof AppError && (err.code === 'invalid_arguments' || err.code === 'not_linked' || err.code === 'reauth_required')) {
        ctx.status = err.status;
        await renderDevice(ctx, session, device, { error: err.message });
        return;
      }
      ctx.state.errorPage = { back: { href: back, label: `Back to ${device.label}` } };
      throw err;
    }
    ctx.status = 303;
    ctx.redirect(session.url(`/devices/${encodeURIComponent(device.id)}`, { done: 'sent' }));
  });

  return guarded(router, installationToken());
}

import type Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { z } from 'zod';
import { AppError, createRouter, guarded, installationToken, publicRoute } from '../runtime';
import { outcomeOf } from '../cloud';
import { discover, updateSelection } from '../sync';
import type { Installation } from '../platform';
import { browserNonceFor, completeLinking, enabledConnector, startLinking, validBrowserNonce } from './flow';
import { issueLinkingCsrf, linkingCsrfKey, linkingCsrfMatches } from './linking-csrf';
import { classifyNavigation, isSameOriginSubmission, type RequestSource } from './navigation';
import { authenticateInstallation } from './installation-auth';
import { initializeUrl, setupUrl } from './urls';
import type { AppContext, EnabledConnector, RequestState } from '../runtime';
import { confirmLinkingPage, setupPage, successPage, type DeviceChoice } from './pages';
import type { Cloud } from '../cloud';
import type { Ingest } from '../ingest';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { Sync } from '../sync';
import type { Linking } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Cloud, 'clients' | 'tokens'> &
  Pick<Ingest, 'callbackTokens'> &
  Pick<Linking, 'states'> &
  Pick<Platform, 'devices' | 'events' | 'health' | 'installations'> &
  Pick<Sync, 'scheduler'>;

const NONCE_COOKIE = 'sm_oauth';

/** "71.1 °F, auto, idle": the reading, then whichever of mode and state the device reports. */
function readingSummary(attrs: Readonly<Record<string, unknown>>): string | undefined {
  const temperature = attrs['temperature'];
  if (typeof temperature !== 'number') return undefined;
  const unit = typeof attrs['temperatureUnit'] === 'string' ? ` °${attrs['temperatureUnit']}` : '';
  const extras = [attrs['thermostatMode'], attrs['operatingState']].filter((v): v is string => typeof v === 'string' && v !== '');
  return [`${temperature}${unit}`, ...extras].join(', ');
}

/**
 * The confirmation page: no script at all, its own inline style, never framed (clickjacking the
 * button would defeat the point), and its form may go to us and on to the provider's sign-in.
 */
function confirmPagePolicy(providerUrl: string): string {
  const provider = new URL(providerUrl).origin;
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `form-action 'self' ${provider}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

/**
 * The SmartThings Service Manager linking flow, for every connector:
 * setup page → initialize (302 to the provider) → callback (code exchange, success page).
 * An initialize that arrives from another site gets a confirmation page instead of the 302, and
 * only that page's POST (303 to the provider) issues a state: see src/linking/navigation.ts.
 */
export function linkingRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/connectors/:connector' });

  router.use(async (ctx, next) => {
    ctx.state.html = true;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });

  const publicOrigin = new URL(services.config.publicUrl).origin;
  const csrfKey = linkingCsrfKey(services.config.secretKey);

  function sourceOf(ctx: AppContext): RequestSource {
    const header = (name: string) => ctx.get(name) || undefined;
    return { secFetchSite: header('sec-fetch-site')?.toLowerCase(), origin: header('origin'), referer: header('referer') };
  }

  /** Discovered devices with the current selection ticked; undefined when the cloud cannot be reached. */
  async function choices(installation: Installation): Promise<DeviceChoice[] | undefined> {
    let discovered;
    try {
      discovered = await discover(services, installation.id);
    } catch (err) {
      if (outcomeOf(err) === 'fatal') throw err;
      return undefined;
    }
    const selected = await services.devices.selected(installation.id);
    const children = await services.devices.byExternalId(installation.id);
    return discovered.map((d) => {
      const child = children.get(d.externalId);
      const attrs = child?.attributes;
      const summary = attrs ? readingSummary(attrs) : undefined;
      return { ...d, selected: selected.has(d.externalId), synced: child !== undefined, summary };
    });
  }

  async function renderSetup(
    connectorName: string,
    installation: Installation,
    accessToken: string,
    options: { notice: string | undefined; fromAnotherSite: boolean },
  ) {
    const { notice } = options;
    const connector = enabledConnector(services, connectorName);
    const base = `/connectors/${encodeURIComponent(connector.definition.name)}/setup`;
    return setupPage({
      title: connector.definition.title,
      status: installation.status,
      fromAnotherSite: options.fromAnotherSite,
      connectUrl: initializeUrl(services.config.publicUrl, connector.definition.name, installation.id, accessToken),
      ...(installation.status === 'linked'
        ? {
            form: {
              action: base,
              appId: installation.id,
              accessToken,
              devices: await choices(installation),
              notice,
            },
          }
        : {}),
    });
  }

  router.get('/setup', async (ctx) => {
    const connector = enabledConnector(services, ctx.params['connector'] ?? '');
    const appId = single(ctx.query['appId']);
    const accessToken = single(ctx.query['access_token']);
    const installation = await authenticateInstallation(services.installations, {
      connector: connector.definition.name,
      appId,
      accessToken,
    });
    ctx.type = 'html';
    ctx.body = await renderSetup(connector.definition.name, installation, accessToken ?? '', {
      notice: single(ctx.query['saved']) ? 'Your choice was saved.' : undefined,
      // Its Connect link is one click from linking, like the confirmation page: warn the same way.
      fromAnotherSite: classifyNavigation(sourceOf(ctx), publicOrigin) === 'cross-site',
    });
  });

  // The form carries the installation's own token, which a cross-site attacker cannot know: it is
  // the CSRF defence as well as the authentication. Post/redirect/get so a reload does not resubmit.
  const form = bodyParser({ enableTypes: ['form'], formLimit: '64kb' });
  const selectionForm = z.object({
    appId: z.string(),
    access_token: z.string(),
    devices: z.union([z.string(), z.array(z.string())]).optional(),
  });
  router.post('/setup', form, async (ctx) => {
    const connector = enabledConnector(services, ctx.params['connector'] ?? '');
    const parsed = selectionForm.safeParse(ctx.request.body);
    if (!parsed.success) throw new AppError('unauthorized', { message: 'This form is missing its access token.' });
    const installation = await authenticateInstallation(services.installations, {
      connector: connector.definition.name,
      appId: parsed.data.appId,
      accessToken: parsed.data.access_token,
    });
    const devices = parsed.data.devices === undefined ? [] : [parsed.data.devices].flat();
    await updateSelection(services, installation.id, devices);
    ctx.redirect(`${setupUrl(services.config.publicUrl, connector.definition.name, installation.id, parsed.data.access_token)}&saved=1`);
  });

  // The nonce cookie binds a flow (its state, and the confirmation form's CSRF token) to this browser.
  function setNonceCookie(ctx: AppContext, connector: string, browserNonce: string): void {
    ctx.cookies.set(NONCE_COOKIE, browserNonce, {
      httpOnly: true,
      sameSite: 'lax', // the provider's redirect back is a top-level GET, which lax allows
      path: `/connectors/${encodeURIComponent(connector)}/oauth`,
      maxAge: services.config.stateTtlS * 1000,
      overwrite: true,
    });
  }

  async function redirectToProvider(ctx: AppContext, connector: EnabledConnector, installation: Installation, setupToken: string) {
    const { authorizeUrl, browserNonce } = await startLinking(services, {
      connector,
      installation,
      setupToken,
      browserNonce: ctx.cookies.get(NONCE_COOKIE),
    });
    setNonceCookie(ctx, connector.definition.name, browserNonce);
    ctx.redirect(authorizeUrl);
  }

  router.get('/oauth/initialize', async (ctx) => {
    const connector = enabledConnector(services, ctx.params['connector'] ?? '');
    const name = connector.definition.name;
    const accessToken = single(ctx.query['access_token']);
    const installation = await authenticateInstallation(services.installations, {
      connector: name,
      appId: single(ctx.query['appId']),
      accessToken,
    });
    // A HEAD (a link checker, a prefetch) must not issue a state: it would only fill the cap.
    if (ctx.method === 'HEAD') {
      ctx.status = 204;
      return;
    }
    if (classifyNavigation(sourceOf(ctx), publicOrigin) !== 'cross-site') {
      await redirectToProvider(ctx, connector, installation, accessToken ?? '');
      return;
    }
    // Another site sent this browser here (forced linking, issue 14): no state and no redirect
    // until the person confirms on our own page.
    ctx.state.log.info({ connector: name, installationId: installation.id }, 'initialize arrived from another site: confirmation asked');
    const browserNonce = browserNonceFor(ctx.cookies.get(NONCE_COOKIE));
    setNonceCookie(ctx, name, browserNonce);
    const csrf = issueLinkingCsrf(
      csrfKey,
      { connector: name, installationId: installation.id, browserNonce },
      services.now() + services.config.stateTtlS * 1000,
    );
    ctx.set('Content-Security-Policy', confirmPagePolicy(connector.credentials.apiUrl));
    ctx.set('X-Frame-Options', 'DENY'); // for browsers that predate frame-ancestors
    // Not no-referrer: under it browsers send `Origin: null` with the form's POST, and the POST
    // checks Origin. same-origin still sends nothing to any other site.
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.type = 'html';
    ctx.body = confirmLinkingPage({
      title: connector.definition.title,
      installationId: installation.id,
      locationId: installation.locationId,
      action: `${services.config.publicUrl}/connectors/${encodeURIComponent(name)}/oauth/initialize`,
      appId: installation.id,
      accessToken: accessToken ?? '',
      csrf,
    });
  });

  // Absent fields are judged by the checks below, each with its own answer (401 or 403).
  const confirmForm = z.object({
    appId: z.string().optional(),
    access_token: z.string().optional(),
    csrf: z.string().optional(),
  });
  router.post('/oauth/initialize', form, async (ctx) => {
    const connector = enabledConnector(services, ctx.params['connector'] ?? '');
    const name = connector.definition.name;
    if (!isSameOriginSubmission(sourceOf(ctx), publicOrigin)) throw new AppError('csrf_failed');
    const parsed = confirmForm.safeParse(ctx.request.body);
    if (!parsed.success) throw new AppError('unauthorized', { message: 'This form is not valid.' });
    const { appId, access_token: accessToken, csrf } = parsed.data;
    const installation = await authenticateInstallation(services.installations, { connector: name, appId, accessToken });
    const browserNonce = validBrowserNonce(ctx.cookies.get(NONCE_COOKIE));
    if (
      browserNonce === undefined ||
      !linkingCsrfMatches(csrfKey, { connector: name, installationId: installation.id, browserNonce }, csrf, services.now())
    ) {
      throw new AppError('csrf_failed');
    }
    await redirectToProvider(ctx, connector, installation, accessToken ?? '');
    ctx.status = 303; // the provider's authorize endpoint is a GET
  });

  // The provider's redirect back: the single-use state bound to this browser is the credential.
  router.get('/oauth/callback', publicRoute(), async (ctx) => {
    const connector = ctx.params['connector'] ?? '';
    const { setupUrl } = await completeLinking(services, {
      connector,
      query: {
        code: single(ctx.query['code']),
        state: single(ctx.query['state']),
        error: single(ctx.query['error']),
      },
      browserNonce: ctx.cookies.get(NONCE_COOKIE),
    });
    ctx.type = 'html';
    ctx.body = successPage({ title: enabledConnector(services, connector).definition.title, setupUrl });
  });

  return guarded(router, installationToken());
}

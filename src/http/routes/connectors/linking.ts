import type Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { z } from 'zod';
import { AppError } from '../../../errors';
import { outcomeOf } from '../../../errors/cloud';
import { discover, updateSelection } from '../../../installations/selection';
import type { Installation } from '../../../store/installations';
import { completeLinking, enabledConnector, startLinking } from '../../../oauth/linking';
import { authenticateInstallation } from '../../../oauth/installation-auth';
import { initializeUrl } from '../../../oauth/urls';
import type { Services } from '../../../services';
import type { RequestState } from '../../context';
import { createRouter, guarded, installationToken, publicRoute } from '../../guards';
import { setupPage, successPage, type DeviceChoice } from '../../pages/linking';
import { setupUrl } from '../../../oauth/urls';

const NONCE_COOKIE = 'sm_oauth';

/** "71.1 °F, auto, idle": the reading, then whichever of mode and state the device reports. */
function readingSummary(attrs: Readonly<Record<string, unknown>>): string | undefined {
  const temperature = attrs['temperature'];
  if (typeof temperature !== 'number') return undefined;
  const unit = typeof attrs['temperatureUnit'] === 'string' ? ` °${attrs['temperatureUnit']}` : '';
  const extras = [attrs['thermostatMode'], attrs['operatingState']].filter((v): v is string => typeof v === 'string' && v !== '');
  return [`${temperature}${unit}`, ...extras].join(', ');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

/**
 * The SmartThings Service Manager linking flow, for every connector:
 * setup page → initialize (302 to the provider) → callback (code exchange, success page).
 */
export function linkingRoutes(services: Services): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/connectors/:connector' });

  router.use(async (ctx, next) => {
    ctx.state.html = true;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });

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

  async function renderSetup(connectorName: string, installation: Installation, accessToken: string, notice?: string) {
    const connector = enabledConnector(services, connectorName);
    const base = `/connectors/${encodeURIComponent(connector.definition.name)}/setup`;
    return setupPage({
      title: connector.definition.title,
      status: installation.status,
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
    ctx.body = await renderSetup(connector.definition.name, installation, accessToken ?? '', single(ctx.query['saved']) ? 'Your choice was saved.' : undefined);
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

  router.get('/oauth/initialize', async (ctx) => {
    const connector = ctx.params['connector'] ?? '';
    const { authorizeUrl, browserNonce } = await startLinking(services, {
      connector,
      appId: single(ctx.query['appId']),
      accessToken: single(ctx.query['access_token']),
      browserNonce: ctx.cookies.get(NONCE_COOKIE),
    });
    ctx.cookies.set(NONCE_COOKIE, browserNonce, {
      httpOnly: true,
      sameSite: 'lax', // the provider's redirect back is a top-level GET, which lax allows
      path: `/connectors/${encodeURIComponent(connector)}/oauth`,
      maxAge: services.config.stateTtlS * 1000,
      overwrite: true,
    });
    ctx.redirect(authorizeUrl);
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

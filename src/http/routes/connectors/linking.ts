import Router from '@koa/router';
import { completeLinking, enabledConnector, startLinking } from '../../../oauth/linking';
import { authenticateInstallation } from '../../../oauth/installation-auth';
import { initializeUrl } from '../../../oauth/urls';
import type { Services } from '../../../services';
import type { RequestState } from '../../context';
import { setupPage, successPage } from '../../pages/linking';

const NONCE_COOKIE = 'sm_oauth';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

/**
 * The SmartThings Service Manager linking flow, for every connector:
 * setup page → initialize (302 to the provider) → callback (code exchange, success page).
 */
export function linkingRoutes(services: Services): Router<RequestState> {
  const router = new Router<RequestState>({ prefix: '/connectors/:connector' });

  router.use(async (ctx, next) => {
    ctx.state.html = true;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });

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
    ctx.body = setupPage({
      title: connector.definition.title,
      status: installation.status,
      connectUrl: initializeUrl(services.config.publicUrl, connector.definition.name, installation.id, accessToken ?? ''),
    });
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
      secure: ctx.secure,
      path: `/connectors/${encodeURIComponent(connector)}/oauth`,
      maxAge: services.config.stateTtlS * 1000,
      overwrite: true,
    });
    ctx.redirect(authorizeUrl);
  });

  router.get('/oauth/callback', async (ctx) => {
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

  return router;
}

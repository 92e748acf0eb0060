import type Router from '@koa/router';
import { AppError, createRouter } from '../../runtime';
import { requireInstallation, requireLinked } from '../../platform';
import type { RequestState } from '../../runtime';
import { ensureSubscribed, ingestRecords } from '../../ingest';
import type { Cloud } from '../../cloud';
import type { Ingest } from '../../ingest';
import type { Platform } from '../../platform';
import type { Base } from '../../runtime';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'now' | 'redis'> &
  Pick<Cloud, 'clients'> &
  Pick<Ingest, 'callbackTokens'> &
  Pick<Platform, 'devices' | 'events' | 'installations'>;

/** Operator views of an installation's callbacks: what failed to parse, what was dropped, rotation. */
export function webhookAdminRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api/installations/:id/webhooks' });
  const { failed, webhooks: records } = ingestRecords(services);

  router.get('/', async (ctx) => {
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    const { state, activatedAt } = await records.state(installation.id);
    ctx.body = {
      supported: services.connectors.get(installation.connector)?.definition.webhook !== undefined,
      state: state ?? 'none',
      activatedAt: activatedAt ?? null,
      droppedBadSignature: await records.droppedBadSignature(installation.id),
      failed: (await failed.list(installation.id)).length,
    };
  });

  router.get('/failed', async (ctx) => {
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    ctx.body = await failed.list(installation.id);
  });

  /** New callback token, re-registered with the cloud; the old one works for a short overlap. */
  router.post('/rotate', async (ctx) => {
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    requireLinked(installation);
    if (!services.connectors.get(installation.connector)?.definition.webhook) {
      throw new AppError('bad_request', { message: 'This connector takes no callbacks.' });
    }
    await ensureSubscribed(services, installation.id);
    ctx.body = { status: 'rotated' };
  });

  return router;
}

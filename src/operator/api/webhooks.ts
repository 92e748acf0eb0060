import type Router from '@koa/router';
import { createRouter } from '../../runtime/http/guards';
import { AppError } from '../../runtime/errors';
import { requireInstallation, requireLinked } from '../../platform/require-installation';
import type { Services } from '../../runtime/services';
import { FailedWebhooks } from '../../ingest/failed-store';
import { ensureSubscribed } from '../../ingest/subscriptions';
import type { RequestState } from '../../runtime/http/context';

/** Operator views of an installation's callbacks: what failed to parse, what was dropped, rotation. */
export function webhookAdminRoutes(services: Services): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api/installations/:id/webhooks' });
  const failed = new FailedWebhooks(services.redis, services.keys);

  router.get('/', async (ctx) => {
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    const [state, activatedAt] = await services.redis.hmget(services.keys.installation(installation.id), 'webhookState', 'webhookActivatedAt');
    const stats = await services.redis.hgetall(services.keys.webhookStats(installation.id));
    ctx.body = {
      supported: services.connectors.get(installation.connector)?.definition.webhook !== undefined,
      state: state ?? 'none',
      activatedAt: activatedAt ?? null,
      droppedBadSignature: Number(stats['droppedBadSignature'] ?? 0),
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

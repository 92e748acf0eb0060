import type Router from '@koa/router';
import { AppError, createRouter } from '../../runtime';
import { requireInstallation, requireLinked } from '../../platform';
import type { ApiOperation } from '../../runtime';
import { z } from 'zod';
import { accepted, installationParams } from './schemas';
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

const webhookState = z.object({
  supported: z.boolean(),
  state: z.string(),
  activatedAt: z.string().nullable(),
  droppedBadSignature: z.number().int(),
  failed: z.number().int(),
});
const failedWebhooks = z.array(z.object({ receivedAt: z.string(), failedAt: z.string(), reason: z.string(), body: z.string() }));
const notFound = { description: 'No such installation', schema: null };

export const webhookAdminOperations: ApiOperation[] = [
  { method: 'get', path: '/api/installations/:id/webhooks', tag: 'webhooks', auth: 'admin', summary: "The installation's cloud callbacks: state and counts", params: installationParams,
    responses: { 200: { description: 'Callback state', schema: webhookState }, 404: notFound } },
  { method: 'get', path: '/api/installations/:id/webhooks/failed', tag: 'webhooks', auth: 'admin', summary: 'Callbacks that could not be parsed (newest first, payload truncated)', params: installationParams,
    responses: { 200: { description: 'Failed callbacks', schema: failedWebhooks }, 404: notFound } },
  { method: 'post', path: '/api/installations/:id/webhooks/rotate', tag: 'webhooks', auth: 'admin', summary: 'Rotate the callback URL (re-registered at the cloud; the old one works for a short overlap)', params: installationParams,
    responses: { 200: { description: 'Rotated', schema: accepted('rotated') }, 400: { description: 'This connector takes no callbacks', schema: null }, 404: notFound, 409: { description: 'Not linked', schema: null } } },
];

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
    } satisfies z.input<typeof webhookState>;
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
    ctx.body = { status: 'rotated' } as const;
  });

  return router;
}

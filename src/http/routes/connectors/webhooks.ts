import Router from '@koa/router';
import { AppError } from '../../../errors';
import type { Services } from '../../../services';
import { DEFAULT_WEBHOOK_LIMIT, WebhookIngester } from '../../../webhooks/ingest';
import { readRawBody } from '../../../webhooks/read-body';
import type { RequestState } from '../../context';

/**
 * POST /connectors/:connector/webhooks/:installationId?access_token=…: callbacks from a cloud.
 * The body is read raw (connectors verify signatures on the exact bytes); the answer is a success
 * only once the payload is a BullMQ job in Redis.
 */
export function webhookRoutes(services: Services): Router<RequestState> {
  const router = new Router<RequestState>();
  const ingester = new WebhookIngester(services);
  router.post('/connectors/:connector/webhooks/:installationId', async (ctx) => {
    const connector = ctx.params['connector'] ?? '';
    const webhook = services.connectors.get(connector)?.definition.webhook;
    if (!ctx.is('application/json', '+json', 'text/plain') && ctx.request.length !== 0) {
      services.metrics.webhookRequests.inc({ connector: webhook ? connector : 'unknown', outcome: 'unsupported_media_type' });
      throw new AppError('unsupported_media_type');
    }
    const count = (outcome: string) => services.metrics.webhookRequests.inc({ connector: webhook ? connector : 'unknown', outcome });
    let outcome;
    try {
      const rawBody = await readRawBody(ctx.req, webhook?.maxBodyBytes ?? DEFAULT_WEBHOOK_LIMIT);
      const token = ctx.query['access_token'];
      outcome = await ingester.ingest({
        connector,
        installationId: ctx.params['installationId'] ?? '',
        accessToken: typeof token === 'string' ? token : undefined,
        rawBody,
        headers: ctx.headers as Record<string, string | undefined>,
      });
    } catch (err) {
      count(err instanceof AppError ? err.code : 'error');
      throw err;
    }
    count(outcome.kind);
    ctx.status = outcome.status;
    ctx.body = outcome.kind === 'accepted' ? { status: 'accepted' } : { status: 'dropped', reason: outcome.reason };
  });
  return router;
}

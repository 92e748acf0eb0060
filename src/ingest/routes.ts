import type Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import { AppError, createRouter, guarded, labelledChildren, presentedIn } from '../runtime';
import type { RequestState } from '../runtime';
import { DEFAULT_WEBHOOK_LIMIT, WebhookIngester } from './ingest';
import { readRawBody } from './read-body';
import { singleQueryParam } from './query-param';
import type { Base } from '../runtime';
import type { Ingest } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Ingest, 'callbackTokens' | 'missedDeliveries' | 'webhooks'>;

export const WEBHOOK_ROUTE = '/connectors/:connector/webhooks/:installationId';

export interface WebhookEndpoint {
  /**
   * Mounted first: a callback (POST on the route) goes straight to its handler, skipping the other
   * routers and the router's own dispatch (debug formatting, host and path lookups, a composed chain
   * built per request), which together cost several µs per callback. Anything else passes on.
   */
  fastPath: Middleware<RequestState>;
  /** The same route through @koa/router, for everything the fast path passes on (405, OPTIONS). */
  router: Router<RequestState>;
}

type Ctx = ParameterizedContext<RequestState>;

/**
 * POST /connectors/:connector/webhooks/:installationId?access_token=…: callbacks from a cloud.
 * The body is read raw (connectors verify signatures on the exact bytes); the answer is a success
 * only once the payload is a BullMQ job in Redis.
 */
export function webhookRoutes(services: Deps): WebhookEndpoint {
  const ingester = new WebhookIngester(services);
  // Label values are bounded: a known connector or "unknown", fixed outcomes.
  const counter = labelledChildren((...values) => services.metrics.webhookRequests.labels(...values));
  const count = (connector: string, outcome: string): void => counter(connector, outcome).inc();

  async function handle(ctx: Ctx, connector: string, installationId: string): Promise<void> {
    const webhook = services.connectors.get(connector)?.definition.webhook;
    const label = webhook ? connector : 'unknown';
    // The common case first: type-is parses the header and matches patterns on every call.
    const json = ctx.req.headers['content-type'] === 'application/json';
    if (!json && !ctx.is('application/json', '+json', 'text/plain') && ctx.request.length !== 0) {
      count(label, 'unsupported_media_type');
      throw new AppError('unsupported_media_type');
    }
    let outcome;
    try {
      const rawBody = await readRawBody(ctx.req, webhook?.maxBodyBytes ?? DEFAULT_WEBHOOK_LIMIT);
      outcome = await ingester.ingest({
        connector,
        installationId,
        accessToken: singleQueryParam(ctx.querystring, 'access_token'),
        rawBody,
        headers: ctx.req.headers as Record<string, string | undefined>,
      });
    } catch (err) {
      count(label, err instanceof AppError ? err.code : 'error');
      throw err;
    }
    count(label, outcome.kind);
    ctx.status = outcome.status;
    ctx.body = outcome.kind === 'accepted' ? { status: 'accepted' } : { status: 'dropped', reason: outcome.reason };
  }

  const router = createRouter<RequestState>();
  router.post(WEBHOOK_ROUTE, (ctx) => handle(ctx, ctx.params['connector'] ?? '', ctx.params['installationId'] ?? ''));
  // Verified by the ingester with the body (a signature may cover both); a request without one stops here.
  guarded(router, presentedIn('callback-token', (ctx) => singleQueryParam(ctx.querystring, 'access_token') !== undefined));
  const layer = router.stack[0];
  if (!layer) throw new Error('webhook route not registered');

  // The router's own layer decides what matches (same case, trailing-slash and decoding rules).
  const fastPath: Middleware<RequestState> = (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    const path = ctx.path;
    const match = layer.regexp.exec(path);
    if (!match) return next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    // Ids and connector names need no decoding; anything escaped goes through the router's decoder.
    const [, connector = '', installationId = ''] = match;
    const params = path.includes('%') ? layer.params(path, match.slice(1)) : { connector, installationId };
    // Read by the access log and the latency histogram, as when the router dispatches.
    (ctx as unknown as { _matchedRoute: string })._matchedRoute = WEBHOOK_ROUTE;
    return handle(ctx, params['connector'] ?? '', params['installationId'] ?? '');
  };
  return { fastPath, router };
}

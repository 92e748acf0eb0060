import type Router from '@koa/router';
import { z } from 'zod';
import { AppError, createRouter, parseBody } from '../../runtime';
import type { ApiOperation, Base, RequestState } from '../../runtime';
import { EVENT_TYPES } from '../../platform';
import { assertPublicTarget, targetUrlSchema, type EventSink, type SinkStats, TargetRefused, type WebServices } from '../../webservices';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'now'> & { webServices: WebServices };

const MAX_SINKS = 50;

/**
 * The request and response bodies of /api/event-sinks, exported for the OpenAPI document (the
 * same schemas validate requests here).
 */
export const eventTypeSchema = z.enum(EVENT_TYPES);

export const createEventSinkBody = z
  .object({
    url: targetUrlSchema,
    types: z.array(eventTypeSchema).min(1).max(EVENT_TYPES.length).optional(),
    connectors: z.array(z.string().min(1).max(40)).min(1).max(100).optional(),
  })
  .strict();

export const eventSinkSchema = z.object({
  id: z.string(),
  url: z.string(),
  /** null: every event type. */
  types: z.array(eventTypeSchema).nullable(),
  /** null: every connector. */
  connectors: z.array(z.string()).nullable(),
  createdAt: z.string(),
});

export const eventSinkCreatedSchema = eventSinkSchema.extend({
  /** Standard Webhooks signing secret (`whsec_` + base64); shown only in this answer. */
  secret: z.string().startsWith('whsec_'),
});

export const eventSinkDetailSchema = eventSinkSchema.extend({
  delivered: z.number().int(),
  failed: z.number().int(),
  deadLettered: z.number().int(),
  lastError: z.object({ message: z.string(), at: z.string() }).nullable(),
});

export const eventSinkListSchema = z.array(eventSinkSchema);

/** One dead-lettered message: the body that was POSTed, and its webhook-id. */
export const deadLetterListSchema = z.array(z.object({ id: z.string(), body: z.unknown() }));

const sinkParams = z.object({ id: z.string() });
const noSink = { description: 'No such event sink', schema: null };
export const eventSinkOperations: ApiOperation[] = [
  { method: 'post', path: '/api/event-sinks', tag: 'event sinks', auth: 'admin', summary: 'Register an event sink; its Standard Webhooks secret is in this answer only', body: createEventSinkBody,
    responses: { 201: { description: 'The sink and its secret', schema: eventSinkCreatedSchema }, 409: { description: 'Too many sinks', schema: null } } },
  { method: 'get', path: '/api/event-sinks', tag: 'event sinks', auth: 'admin', summary: 'Every event sink', responses: { 200: { description: 'Sinks', schema: eventSinkListSchema } } },
  { method: 'get', path: '/api/event-sinks/:id', tag: 'event sinks', auth: 'admin', summary: 'One sink with its delivery counters', params: sinkParams,
    responses: { 200: { description: 'The sink', schema: eventSinkDetailSchema }, 404: noSink } },
  { method: 'get', path: '/api/event-sinks/:id/dead-letters', tag: 'event sinks', auth: 'admin', summary: 'The newest dead-lettered messages (up to 100)', params: sinkParams,
    responses: { 200: { description: 'Dead letters', schema: deadLetterListSchema }, 404: noSink } },
  { method: 'delete', path: '/api/event-sinks/:id', tag: 'event sinks', auth: 'admin', summary: 'Remove a sink', params: sinkParams,
    responses: { 204: { description: 'Removed', schema: null }, 404: noSink } },
];

const view = (sink: EventSink): z.infer<typeof eventSinkSchema> => ({
  id: sink.id,
  url: sink.url,
  types: sink.types,
  connectors: sink.connectors,
  createdAt: sink.createdAt,
});

/** Admin: where the platform wants events pushed (Standard Webhooks), with their delivery counters. */
export function eventSinkRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api/event-sinks' });
  const { sinks } = services.webServices;

  async function requireSink(id: string): Promise<EventSink> {
    const sink = await sinks.get(id);
    if (!sink) throw new AppError('not_found', { message: 'No such event sink.' });
    return sink;
  }

  router.post('/', async (ctx) => {
    const body = parseBody(createEventSinkBody, ctx.request.body);
    const url = new URL(body.url);
    const { allowPrivateTargets } = services.config.webServices;
    // Plain http only where private targets are allowed (development); events carry device data.
    if (url.protocol !== 'https:' && !allowPrivateTargets) {
      throw new AppError('bad_request', { message: 'url: must be https (http only with WS_ALLOW_PRIVATE_TARGETS, for development).' });
    }
    const unknown = (body.connectors ?? []).filter((c) => !services.connectors.has(c));
    if (unknown.length > 0) throw new AppError('bad_request', { message: `connectors: not enabled here: ${unknown.slice(0, 5).join(', ')}` });
    if (!allowPrivateTargets) {
      await assertPublicTarget(body.url).catch((err: unknown) => {
        throw new AppError('bad_request', {
          message: err instanceof TargetRefused ? 'url must resolve to public addresses only (not loopback, private or link-local).' : 'url does not resolve.',
        });
      });
    }
    if ((await sinks.list()).length >= MAX_SINKS) throw new AppError('conflict', { message: `At most ${MAX_SINKS} event sinks.` });
    const { sink, secret } = await sinks.create(
      { url: body.url, types: body.types ? [...new Set(body.types)] : null, connectors: body.connectors ? [...new Set(body.connectors)] : null },
      new Date(services.now()),
    );
    ctx.status = 201;
    ctx.body = { ...view(sink), secret } satisfies z.infer<typeof eventSinkCreatedSchema>;
  });

  router.get('/', async (ctx) => {
    ctx.body = (await sinks.list()).map(view) satisfies z.infer<typeof eventSinkListSchema>;
  });

  router.get('/:id', async (ctx) => {
    const sink = await requireSink(ctx.params['id'] ?? '');
    const stats: SinkStats = await sinks.stats(sink.id);
    ctx.body = { ...view(sink), ...stats } satisfies z.infer<typeof eventSinkDetailSchema>;
  });

  /** The newest dead-lettered messages (up to 100), to inspect or replay by hand. */
  router.get('/:id/dead-letters', async (ctx) => {
    const sink = await requireSink(ctx.params['id'] ?? '');
    ctx.body = (await sinks.deadLetters(sink.id)) satisfies z.infer<typeof deadLetterListSchema>;
  });

  router.delete('/:id', async (ctx) => {
    const sink = await requireSink(ctx.params['id'] ?? '');
    await sinks.delete(sink.id);
    ctx.status = 204;
  });

  return router;
}

import type Router from '@koa/router';
import { createRouter, parseBody } from '../../runtime';
import { z } from 'zod';
import { isCursor, requireInstallation } from '../../platform';
import type { ApiOperation } from '../../runtime';
import { eventView, installationParams } from './schemas';
import type { RequestState } from '../../runtime';
import type { Platform } from '../../platform';

/** The parts of the process this module uses. */
type Deps = Pick<Platform, 'events' | 'installations'>;

const query = z.object({
  after: z.string().refine(isCursor, 'must be a cursor returned by this API').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

// Every installation's events: the cursor names a position in each partition's stream (opaque; a
// plain stream id from before partitions is accepted too). Its shape is checked against the
// partitions by the event log.
const globalQuery = z.object({
  after: z.string().max(40_000).regex(/^\d{1,16}-\d{1,16}(\.\d{1,16}-\d{1,16})*$/, 'must be a cursor returned by this API').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const eventPage = z.object({ events: z.array(eventView), next: z.string().nullable() });

export const eventOperations: ApiOperation[] = [
  { method: 'get', path: '/api/installations/:id/events', tag: 'events', auth: 'admin', summary:
      "One installation's events, oldest first; pass `next` as `after`. One request examines at most 5,000 events of the installation's partition, so a page may hold fewer than `limit` events (even none) while more follow: read on until `next` comes back equal to `after`", params: installationParams, query,
    responses: { 200: { description: 'Events', schema: eventPage }, 404: { description: 'No such installation', schema: null } } },
  { method: 'get', path: '/api/events', tag: 'events', auth: 'admin', summary: 'Every installation\'s events, oldest first; pass `next` as `after`', query: globalQuery,
    responses: { 200: { description: 'Events', schema: eventPage } } },
];

/** Event logs with a cursor: `next` is the cursor to pass as `after` for what follows. */
export function eventRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api' });

  router.get('/installations/:id/events', async (ctx) => {
    const q = parseBody(query, ctx.query);
    const installationId = ctx.params['id'] ?? '';
    await requireInstallation(services, installationId);
    // `next` may lie past the last event returned (the scan went on through other installations'
    // events); it equals `after` (or is null) only when the partition holds nothing newer.
    const page = await services.events.readInstallation(installationId, q.after, q.limit);
    ctx.body = { events: page.events, next: page.next ?? null } satisfies z.input<typeof eventPage>;
  });

  router.get('/events', async (ctx) => {
    const q = parseBody(globalQuery, ctx.query);
    const events = await services.events.readGlobal(q.after, q.limit);
    ctx.body = { events, next: events.at(-1)?.cursor ?? q.after ?? null };
  });

  return router;
}

import type Router from '@koa/router';
import { createRouter, parseBody } from '../../runtime';
import { z } from 'zod';
import { isCursor, requireInstallation } from '../../platform';
import type { RequestState } from '../../runtime';
import type { Platform } from '../../platform';

/** The parts of the process this module uses. */
type Deps = Pick<Platform, 'events' | 'installations'>;

const query = z.object({
  after: z.string().refine(isCursor, 'must be a cursor returned by this API').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Event logs with a cursor: `next` is the cursor to pass as `after` for what follows. */
export function eventRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api' });

  router.get('/installations/:id/events', async (ctx) => {
    const q = parseBody(query, ctx.query);
    const installationId = ctx.params['id'] ?? '';
    await requireInstallation(services, installationId);
    const events = await services.events.readInstallation(installationId, q.after, q.limit);
    ctx.body = { events, next: events.at(-1)?.cursor ?? q.after ?? null };
  });

  router.get('/events', async (ctx) => {
    const q = parseBody(query, ctx.query);
    const events = await services.events.readGlobal(q.after, q.limit);
    ctx.body = { events, next: events.at(-1)?.cursor ?? q.after ?? null };
  });

  return router;
}

import type Router from '@koa/router';
import { createRouter, parseBody } from '../../runtime';
import { z } from 'zod';
import type { RequestState } from '../../runtime';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'now'> & { webServices: WebServices };

const userBody = z.object({
  username: z.string().min(1).max(100).regex(/^[^\s:]+$/, 'must not contain spaces or ":"'),
  password: z.string().min(8).max(1000),
  locations: z
    .array(z.object({ id: z.string().min(1).max(200), name: z.string().min(1).max(200) }))
    .max(100)
    .refine((ls) => new Set(ls.map((l) => l.id)).size === ls.length, 'location ids must be unique'),
});

/** Admin: end-user accounts of the platform (who can authorize external systems). */
export function userRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.post('/api/users', async (ctx) => {
    const body = parseBody(userBody, ctx.request.body);
    const user = await services.webServices.users.create(body, new Date(services.now()));
    ctx.status = 201;
    ctx.body = user; // never the password, nor its hash
  });
  return router;
}

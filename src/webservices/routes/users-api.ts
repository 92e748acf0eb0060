import type Router from '@koa/router';
import { AppError, createRouter, pageOf, pageQuery, parseBody } from '../../runtime';
import { z } from 'zod';
import type { ApiOperation, RequestState } from '../../runtime';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';
import { deleteUser } from '../lifecycle';

/** The parts of the process this module uses (deleting a user revokes its apps: config, log). */
type Deps = Pick<Base, 'config' | 'log' | 'now'> & { webServices: WebServices };

const userBody = z.object({
  username: z.string().min(1).max(100).regex(/^[^\s:]+$/, 'must not contain spaces or ":"'),
  password: z.string().min(8).max(1000),
  locations: z
    .array(z.object({ id: z.string().min(1).max(200), name: z.string().min(1).max(200) }))
    .max(100)
    .refine((ls) => new Set(ls.map((l) => l.id)).size === ls.length, 'location ids must be unique'),
});

/** What the admin API shows of an account: never the password, nor its hash. */
export const userView = z.object({
  id: z.uuid(),
  username: z.string(),
  locations: z.array(z.object({ id: z.string(), name: z.string() })),
  createdAt: z.iso.datetime(),
});
const idParams = z.object({ id: z.string() });
const userPage = pageOf(userView);

export const userOperations: ApiOperation[] = [
  { method: 'post', path: '/api/users', tag: 'users', auth: 'admin', summary: 'Create an end-user account', body: userBody,
    responses: { 201: { description: 'The account', schema: userView }, 409: { description: 'The username is taken', schema: null } } },
  { method: 'get', path: '/api/users', tag: 'users', auth: 'admin', summary: 'List accounts (cursor pages, creation order)', query: pageQuery,
    responses: { 200: { description: 'One page', schema: userPage } } },
  { method: 'get', path: '/api/users/:id', tag: 'users', auth: 'admin', summary: 'One account', params: idParams,
    responses: { 200: { description: 'The account', schema: userView }, 404: { description: 'No such user', schema: null } } },
  { method: 'delete', path: '/api/users/:id', tag: 'users', auth: 'admin', summary: 'Delete an account; every app it granted is revoked (all their tokens)', params: idParams,
    responses: { 204: { description: 'Deleted', schema: null }, 404: { description: 'No such user', schema: null } } },
];

/** Admin: end-user accounts of the platform (who can authorize external systems). */
export function userRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>();
  const { users } = services.webServices;
  const requireUser = async (id: string) => {
    const user = await users.get(id);
    if (!user) throw new AppError('not_found', { message: 'No such user.' });
    return user;
  };

  router.post('/api/users', async (ctx) => {
    const body = parseBody(userBody, ctx.request.body);
    const user = await users.create(body, new Date(services.now()));
    ctx.status = 201;
    ctx.body = user satisfies z.output<typeof userView>;
  });

  router.get('/api/users', async (ctx) => {
    const q = parseBody(pageQuery, ctx.query);
    ctx.body = (await users.page(q.cursor, q.limit)) satisfies z.output<typeof userPage>;
  });

  router.get('/api/users/:id', async (ctx) => {
    ctx.body = (await requireUser(ctx.params['id'] ?? '')) satisfies z.output<typeof userView>;
  });

  router.delete('/api/users/:id', async (ctx) => {
    if (!(await deleteUser(services, await requireUser(ctx.params['id'] ?? '')))) throw new AppError('not_found', { message: 'No such user.' });
    ctx.status = 204;
  });
  return router;
}

import type Router from '@koa/router';
import { AppError, createRouter, pageOf, pageQuery, parseBody } from '../../runtime';
import { z } from 'zod';
import type { ApiOperation, RequestState } from '../../runtime';
import { TOKEN_ENDPOINT_AUTH_METHODS } from '../authorize-request';
import { deleteClient } from '../lifecycle';
import { isValidRedirectUri } from '../redirect-uri';
import { expandScopes, REQUESTABLE_SCOPES, SCOPES } from '../scopes';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses (deleting a client revokes its apps: config, log). */
type Deps = Pick<Base, 'config' | 'log' | 'now'> & { webServices: WebServices };

const clientBody = z.object({
  name: z.string().min(1).max(100),
  redirectUris: z
    .array(z.string().refine(isValidRedirectUri, 'must be an absolute http(s) URI without a fragment'))
    .min(1)
    .max(10),
  scopes: z.array(z.enum(REQUESTABLE_SCOPES)).min(1),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token'])).min(1).default(['authorization_code', 'refresh_token']),
  // RFC 7591 §2. `none`: a public client (an app on a device, which cannot keep a secret); it gets
  // no secret and must use PKCE. Either secret method is accepted from a confidential client.
  tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
  // RFC 7591's own spelling, so a registration written for it does not silently become confidential.
  token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
});

const clientFields = {
  clientId: z.uuid(),
  name: z.string(),
  redirectUris: z.array(z.string()),
  scopes: z.array(z.enum(SCOPES)),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token'])),
  tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS),
};
/** A registered client: never its secret (shown once, at creation) nor the secret's digest. */
export const clientView = z.object({ ...clientFields, createdAt: z.iso.datetime() });
const createdClient = z.object({ ...clientFields, clientSecret: z.string().optional() });
const clientPage = pageOf(clientView);
const idParams = z.object({ id: z.string() });

export const clientOperations: ApiOperation[] = [
  { method: 'post', path: '/api/clients', tag: 'clients', auth: 'admin', summary: 'Register an OAuth client; a confidential one gets its secret here only', body: clientBody,
    responses: { 201: { description: 'The client (and clientSecret unless public)', schema: createdClient } } },
  { method: 'get', path: '/api/clients', tag: 'clients', auth: 'admin', summary: 'List clients (cursor pages, creation order)', query: pageQuery,
    responses: { 200: { description: 'One page', schema: clientPage } } },
  { method: 'get', path: '/api/clients/:id', tag: 'clients', auth: 'admin', summary: 'One client', params: idParams,
    responses: { 200: { description: 'The client', schema: clientView }, 404: { description: 'No such client', schema: null } } },
  { method: 'delete', path: '/api/clients/:id', tag: 'clients', auth: 'admin', summary: 'Delete a client; every app it was granted is revoked (all their tokens)', params: idParams,
    responses: { 204: { description: 'Deleted', schema: null }, 404: { description: 'No such client', schema: null } } },
];

/** Admin: OAuth clients (external systems). The secret (none for a public client) is in this answer only. */
export function clientRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>();
  const { clients } = services.webServices;
  const requireClient = async (id: string) => {
    const client = await clients.record(id);
    if (!client) throw new AppError('not_found', { message: 'No such client.' });
    return client;
  };

  router.get('/api/clients', async (ctx) => {
    const q = parseBody(pageQuery, ctx.query);
    ctx.body = (await clients.page(q.cursor, q.limit)) satisfies z.output<typeof clientPage>;
  });

  router.get('/api/clients/:id', async (ctx) => {
    ctx.body = (await requireClient(ctx.params['id'] ?? '')) satisfies z.output<typeof clientView>;
  });

  router.delete('/api/clients/:id', async (ctx) => {
    if (!(await deleteClient(services, await requireClient(ctx.params['id'] ?? '')))) throw new AppError('not_found', { message: 'No such client.' });
    ctx.status = 204;
  });
  router.post('/api/clients', async (ctx) => {
    const body = parseBody(clientBody, ctx.request.body);
    const { tokenEndpointAuthMethod: camel, token_endpoint_auth_method: snake } = body;
    if (camel !== undefined && snake !== undefined && camel !== snake) {
      throw new AppError('bad_request', { message: 'tokenEndpointAuthMethod and token_endpoint_auth_method disagree.' });
    }
    const { client, clientSecret } = await services.webServices.clients.create(
      {
        name: body.name,
        redirectUris: [...new Set(body.redirectUris)],
        scopes: expandScopes(body.scopes),
        grantTypes: [...new Set(body.grantTypes)],
        tokenEndpointAuthMethod: camel ?? snake ?? 'client_secret_basic',
      },
      new Date(services.now()),
    );
    ctx.status = 201;
    ctx.body = (clientSecret === undefined ? client : { ...client, clientSecret }) satisfies z.output<typeof createdClient>;
  });
  return router;
}

import type Router from '@koa/router';
import { createRouter } from '../../guards';
import { z } from 'zod';
import type { Services } from '../../../services';
import { isValidRedirectUri } from '../../../webservices/redirect-uri';
import { expandScopes, REQUESTABLE_SCOPES } from '../../../webservices/scopes';
import type { RequestState } from '../../context';
import { parseBody } from '../../validate';

const clientBody = z.object({
  name: z.string().min(1).max(100),
  redirectUris: z
    .array(z.string().refine(isValidRedirectUri, 'must be an absolute http(s) URI without a fragment'))
    .min(1)
    .max(10),
  scopes: z.array(z.enum(REQUESTABLE_SCOPES)).min(1),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token'])).min(1).default(['authorization_code', 'refresh_token']),
});

/** Admin: OAuth clients (external systems). The secret is in this answer only. */
export function clientRoutes(services: Services): Router<RequestState> {
  const router = createRouter<RequestState>();
  router.post('/api/clients', async (ctx) => {
    const body = parseBody(clientBody, ctx.request.body);
    const { client, clientSecret } = await services.webServices.clients.create(
      { name: body.name, redirectUris: [...new Set(body.redirectUris)], scopes: expandScopes(body.scopes), grantTypes: [...new Set(body.grantTypes)] },
      new Date(services.now()),
    );
    ctx.status = 201;
    ctx.body = { ...client, clientSecret };
  });
  return router;
}

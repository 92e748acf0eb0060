import type Router from '@koa/router';
import { AppError, createRouter, parseBody } from '../../runtime';
import { z } from 'zod';
import type { RequestState } from '../../runtime';
import { TOKEN_ENDPOINT_AUTH_METHODS } from '../authorize-request';
import { isValidRedirectUri } from '../redirect-uri';
import { expandScopes, REQUESTABLE_SCOPES } from '../scopes';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'now'> & { webServices: WebServices };

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

/** Admin: OAuth clients (external systems). The secret (none for a public client) is in this answer only. */
export function clientRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>();
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
    ctx.body = clientSecret === undefined ? client : { ...client, clientSecret };
  });
  return router;
}

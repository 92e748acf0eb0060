import { z } from 'zod';
import { responseMatchSchema } from './response-match';

/**
 * A provider's OAuth quirks, as data (Nango's field set). Paths are relative to the connector's
 * API base URL (e.g. ECOBEE_API_URL), so tests and the demo point a whole connector at its fake
 * with one variable.
 */
export const oauthProviderSchema = z.object({
  authorizePath: z.string().startsWith('/'),
  tokenPath: z.string().startsWith('/'),
  /** An empty list sends no `scope` parameter at all (Honeywell documents none). */
  scopes: z.array(z.string().min(1)).readonly(),
  scopeSeparator: z.enum([' ', ',', '+']),
  /** Where client credentials go: form fields (`body`) or an HTTP Basic header (`basic`). */
  clientAuth: z.enum(['body', 'basic']),
  /**
   * Where grant parameters go on the token endpoint. `query` also puts them in the query string,
   * for providers that document that form (ecobee); the form body always carries them too.
   */
  tokenParams: z.enum(['query', 'body']),
  pkce: z.boolean(),
  /** Static extra parameters for the authorize URL. */
  authorizeParams: z.record(z.string(), z.string()).optional(),
  /** Static extra parameters for refresh requests (ecobee: ecobee_type=jwt). */
  refreshParams: z.record(z.string(), z.string()).optional(),
  /**
   * The cloud's token revocation endpoint, only where its documentation names one; uninstall calls
   * it in the background, best effort. `rfc7009`: POST form `token` + `token_type_hint` for each of
   * `tokens` in order, client credentials as `clientAuth` says. `bearer` (a cloud's own shape): the
   * access token as `Authorization: Bearer` on `method path`.
   */
  revocation: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('rfc7009'), path: z.string().startsWith('/'), tokens: z.array(z.enum(['refresh_token', 'access_token'])).min(1).readonly() }),
      z.object({ kind: z.literal('bearer'), path: z.string().startsWith('/'), method: z.enum(['POST', 'DELETE']) }),
    ])
    .optional(),
  /**
   * Token-endpoint answers that mean the grant is gone and the user must link again; any other
   * failure is retried. Default RFC6749_REFRESH_REFUSED: 400/401 with `error` invalid_grant & co.
   */
  refreshRefused: z.array(responseMatchSchema).readonly().optional(),
});

export type OAuthProvider = z.infer<typeof oauthProviderSchema>;

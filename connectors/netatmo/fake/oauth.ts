import type { IncomingHttpHeaders } from 'node:http';
import { handleToken, type AuthorizeFlow, type Reply } from '../../../src/connectors/fake-cloud';
import { signInPages } from './pages';
import type { FakeUser } from './accounts';
import { tokenResponse, type TokenStore } from './tokens';

/** The fake's /oauth2/authorize and /oauth2/token (netatmo-api.md §1). */

export interface OAuthConfig {
  tokens: TokenStore;
  clientId: string;
  clientSecret: string;
  user: FakeUser;
}

/** /oauth2/authorize (§1.2): the toolkit's sign-in flow with Netatmo's rules. */
export function authorizeFlow(cfg: OAuthConfig): AuthorizeFlow {
  return {
    clientId: cfg.clientId,
    pages: signInPages,
    // "Default scope is read_station" (§1.2).
    defaultScope: 'read_station',
    // §1.2: response_type=code is optional; anything else is refused.
    responseType: 'optional',
    signIn: (username, password) => username === cfg.user.email && password === cfg.user.password,
    issueCode: (request) =>
      cfg.tokens.createCode(cfg.user.id, request.redirectUri, request.scope.split(' ').filter((s) => s !== '')),
    declined: { error: 'access_denied' },
  };
}

// ---------------------------------------------------------------------------------------------
// /oauth2/token (§1.3, §1.4): the kit's endpoint with Netatmo's data

/**
 * §1.3: client_id and client_secret travel in the form body; HTTP Basic is not known to work with
 * Netatmo, so the fake does not accept it (a connector relying on it would fail for real).
 * grant_type=password was switched off for good in 2023: unsupported_grant_type.
 */
export function token(cfg: OAuthConfig, request: { url: URL; form: URLSearchParams; headers: IncomingHttpHeaders }): Reply {
  return handleToken(
    {
      ledger: cfg.tokens.ledger,
      clientId: cfg.clientId,
      clientSecret: cfg.clientSecret,
      clientAuth: 'body',
      tokenBody: tokenResponse,
      // §1.3: Netatmo's OAuth errors are flat (`{"error": …}`), all with HTTP 400.
      refusals: { invalid_client: { status: 400, body: { error: 'invalid_client' } } },
    },
    request,
  );
}

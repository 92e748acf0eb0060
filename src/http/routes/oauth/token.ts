import type Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import type { Services } from '../../../services';
import type { ClientView } from '../../../webservices/authorize-request';
import { checkCode, checkToken } from '../../../webservices/grant-checks';
import type { IssuedTokens } from '../../../webservices/grant-store';
import { formatScope, isSubset, parseScope } from '../../../webservices/scopes';
import { clientCredentials, parseTokenRequest, TokenError, type TokenRequest } from '../../../webservices/token-request';
import type { AppContext, RequestState } from '../../context';
import { createRouter, guarded, publicRoute } from '../../guards';

function response(tokens: IssuedTokens) {
  return {
    access_token: tokens.accessToken,
    token_type: 'bearer',
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    scope: formatScope(tokens.scopes),
  };
}

/**
 * The token endpoint (RFC 6749 §3.2, §4.1.3, §6). Errors are rendered here, not by the app's error
 * handler, because §5.2 fixes their shape: `{"error","error_description"}` with 400, or 401 and a
 * Basic challenge for invalid_client, and `Cache-Control: no-store` on every answer.
 */
export function tokenRoutes(services: Services): Router<RequestState> {
  const router = createRouter<RequestState>();
  const ws = services.webServices;
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

  async function authorizationCode(client: ClientView, req: Extract<TokenRequest, { grantType: 'authorization_code' }>): Promise<IssuedTokens> {
    const now = services.now();
    const code = await ws.grants.readCode(req.code);
    if (!code) throw new TokenError('invalid_grant', 'The authorization code is invalid or expired.');
    const check = checkCode(code, { clientId: client.clientId, redirectUri: req.redirectUri, now });
    if (!check.ok) {
      if (check.reason === 'reused') {
        // RFC 6749 §4.1.2: a code used twice may have been stolen; revoke what it produced.
        await ws.grants.revokeGrant(code.grantId);
        services.log.warn({ clientId: client.clientId, appId: code.appId }, 'authorization code reused; its tokens are revoked');
      }
      const why = {
        reused: 'The authorization code was already used.',
        expired: 'The authorization code is invalid or expired.',
        wrong_client: 'The authorization code was issued to another client.',
        redirect_mismatch: 'redirect_uri does not match the authorization request.',
      }[check.reason];
      throw new TokenError('invalid_grant', why);
    }
    if (!(await ws.grants.markCodeUsed(req.code, now))) {
      await ws.grants.revokeGrant(code.grantId);
      throw new TokenError('invalid_grant', 'The authorization code was already used.');
    }
    if (!(await ws.apps.get(code.appId))) throw new TokenError('invalid_grant', 'The authorization was revoked.');
    const issued = await ws.grants.issue({ clientId: client.clientId, appId: code.appId, grantId: code.grantId, scopes: code.scopes }, now);
    if (!issued) throw new TokenError('invalid_grant', 'The authorization was revoked.');
    return issued;
  }

  async function refresh(client: ClientView, req: Extract<TokenRequest, { grantType: 'refresh_token' }>): Promise<IssuedTokens> {
    const now = services.now();
    const found = await ws.grants.readToken('refresh', req.refreshToken);
    if (!found || !checkToken(found.record, { kind: 'refresh', now, clientId: client.clientId }).ok) {
      throw new TokenError('invalid_grant', 'The refresh token is invalid, expired, revoked or was issued to another client.');
    }
    const { record } = found;
    let accessScopes = record.scopes;
    if (req.scope !== undefined) {
      const parsed = parseScope(req.scope);
      if (!parsed.ok || !isSubset(parsed.scopes, record.scopes)) throw new TokenError('invalid_scope', 'The scope exceeds the original grant.');
      accessScopes = parsed.scopes;
    }
    if (!(await ws.apps.get(record.appId))) throw new TokenError('invalid_grant', 'The authorization was revoked.');
    const issued = await ws.grants.issue(
      { clientId: client.clientId, appId: record.appId, grantId: record.grantId, scopes: record.scopes },
      now,
      { refreshToken: req.refreshToken, storedValue: found.storedValue },
      accessScopes,
    );
    if (!issued) throw new TokenError('invalid_grant', 'The refresh token was already used.');
    return issued;
  }

  async function handle(ctx: AppContext): Promise<void> {
    if (!ctx.is('application/x-www-form-urlencoded')) {
      throw new TokenError('invalid_request', 'The body must be application/x-www-form-urlencoded.');
    }
    try {
      await form(ctx, async () => undefined);
    } catch {
      throw new TokenError('invalid_request', 'The body could not be read.');
    }
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const credentials = clientCredentials(ctx.get('authorization') || undefined, body);
    const client = await ws.clients.authenticate(credentials.clientId, credentials.clientSecret);
    if (!client) throw new TokenError('invalid_client', 'Client authentication failed.', true);
    const req = parseTokenRequest(body);
    if (!client.grantTypes.includes(req.grantType)) throw new TokenError('unauthorized_client', `This client may not use ${req.grantType}.`);
    const issued = req.grantType === 'authorization_code' ? await authorizationCode(client, req) : await refresh(client, req);
    ctx.status = 200;
    ctx.body = response(issued);
  }

  router.post('/oauth/token', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    try {
      await handle(ctx);
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      ctx.state.log.info({ code: err.code, status: err.status }, 'token request rejected');
      ctx.status = err.status;
      if (err.status === 401) ctx.set('WWW-Authenticate', 'Basic realm="oauth", charset="UTF-8"');
      ctx.body = { error: err.code, error_description: err.description };
    }
  });

  // Public by RFC 6749 §3.2: the client authenticates (secret or PKCE) in the form, checked above.
  return guarded(router, publicRoute());
}

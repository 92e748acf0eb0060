import type Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { createRouter, guarded, publicRoute, sendError, type AppContext, type RequestState } from '../../runtime';
import type { ClientView } from '../authorize-request';
import { isPublicClient } from '../clients';
import { checkCode, checkPkce, checkToken } from '../grant-checks';
import type { IssuedTokens } from '../grant-store';
import { formatScope, isSubset, parseScope } from '../scopes';
import { clientCredentials, parseTokenRequest, TokenError, type ClientCredentials, type TokenRequest } from '../token-request';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'log' | 'now'> & { webServices: WebServices };

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
 * The token endpoint (RFC 6749 §3.2, §4.1.3, §6), with the Security BCP (RFC 9700): PKCE checked
 * here, a reused code or rotated refresh token revokes its grant. §5.2 fixes the shape of errors:
 * `{"error","error_description"}` with 400, or 401 and a Basic challenge for invalid_client, and
 * `Cache-Control: no-store` on every answer (429 too_many_attempts, with Retry-After, when client
 * secrets are being guessed): TokenError is an AppError of the `oauth_token` variant, which the one
 * renderer draws that way. Caught here only to log it as a token request.
 */
export function tokenRoutes(services: Deps): Router<RequestState> {
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
    // Before the code is spent: whoever lacks the verifier (an attacker with a stolen code) must not
    // be able to burn it for the client that has it.
    const pkce = checkPkce(code.codeChallenge, req.codeVerifier);
    if (!pkce.ok) {
      const why = {
        missing_verifier: 'code_verifier is required: the authorization request had a code_challenge.',
        wrong_verifier: 'code_verifier does not match the code_challenge.',
        unexpected_verifier: 'code_verifier was given, but the authorization request had no code_challenge.',
      }[pkce.reason];
      throw new TokenError('invalid_grant', why);
    }
    // Public clients are held to PKCE at authorize already; this keeps a code from before that rule out.
    if (isPublicClient(client) && code.codeChallenge === undefined) throw new TokenError('invalid_grant', 'A public client must use PKCE.');
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
    const found = await ws.grants.readRefreshToken(req.refreshToken);
    if (found?.status === 'rotated') await reused(found.grantId, client);
    if (!found || found.status !== 'active' || !checkToken(found.record, { kind: 'refresh', now, clientId: client.clientId }).ok) {
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
    const issued = await ws.grants.issueOrExplain(
      { clientId: client.clientId, appId: record.appId, grantId: record.grantId, scopes: record.scopes },
      now,
      { refreshToken: req.refreshToken, storedValue: found.storedValue },
      accessScopes,
    );
    // Rotated by a concurrent request with the same token: as much a reuse as a later one.
    if (!issued.ok && issued.reason === 'reused') await reused(record.grantId, client);
    if (!issued.ok) throw new TokenError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    return issued.tokens;
  }

  /**
   * RFC 9700 §4.14.2: a refresh token that was already exchanged has leaked (to the client or to an
   * attacker, we cannot tell which presented it), so the grant's every token is revoked.
   */
  async function reused(grantId: string, client: ClientView): Promise<never> {
    await ws.grants.revokeGrant(grantId);
    services.log.warn({ clientId: client.clientId }, 'rotated refresh token presented again; its grant is revoked');
    throw new TokenError('invalid_grant', 'The refresh token was already used; the authorization is revoked.');
  }

  /** The client the request authenticates as: a secret checked under the limiter, or a public client naming itself. */
  async function authenticateClient(ctx: AppContext, credentials: ClientCredentials): Promise<ClientView> {
    if (credentials.method === 'none') {
      const client = await ws.clients.get(credentials.clientId);
      if (!client || !isPublicClient(client)) throw new TokenError('invalid_client', 'Client authentication failed.', true);
      return client;
    }
    const { clientId, clientSecret } = credentials;
    // Only a well-formed id gets an account count: made-up ids would each leave a counter behind.
    const account = /^[0-9a-f-]{36}$/.test(clientId) ? clientId : undefined;
    const attempt = await ws.clientLogins.attempt(account, ctx.ip, () => ws.clients.authenticate(clientId, clientSecret));
    if (attempt.limited) {
      throw new TokenError('too_many_attempts', 'Too many failed client authentications. Try again later.', false, attempt.retryAfterS);
    }
    if (!attempt.value) throw new TokenError('invalid_client', 'Client authentication failed.', true);
    return attempt.value;
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
    const client = await authenticateClient(ctx, credentials);
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
      sendError(ctx, err);
    }
  });

  // Public by RFC 6749 §3.2: the client authenticates (secret or PKCE) in the form, checked above.
  return guarded(router, publicRoute());
}

import type { Middleware } from 'koa';
import { AppError, sendError, type AppContext, type ErrorCode, type RequestState } from '../../runtime';
import type { AppInstallation } from '../app-installations';
import { checkToken } from '../grant-checks';
import type { Scope } from '../scopes';
import type { Base } from '../../runtime';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'now'> & { webServices: WebServices };

export interface SmartAppGrant {
  app: AppInstallation;
  clientId: string;
  scopes: Scope[];
}

export interface SmartAppState extends RequestState {
  grant?: SmartAppGrant;
}

const REALM = 'smartapps';

/** RFC 6750 §3: the challenge names the problem (the `bearer` variant of the one error renderer). */
function challenge(
  ctx: AppContext,
  error: Extract<ErrorCode, 'invalid_token' | 'insufficient_scope'> | undefined,
  message: string,
  scope?: string,
): void {
  const err = new AppError(error ?? 'unauthorized', {
    message,
    variant: { kind: 'bearer', realm: REALM, describe: error !== undefined, ...(scope ? { scope } : {}) },
  });
  sendError(ctx, err);
}

/** An app access token from `Authorization: Bearer` (the only place we accept it: never the query). */
export function requireAppToken(services: Deps): Middleware<SmartAppState> {
  return async (ctx, next) => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(ctx.get('authorization'));
    if (!match?.[1]) return challenge(ctx as unknown as AppContext, undefined, 'An app access token is required.');
    const found = await services.webServices.grants.readToken('access', match[1]);
    const valid = found && checkToken(found.record, { kind: 'access', now: services.now() }).ok;
    const app = valid && found ? await services.webServices.apps.get(found.record.appId) : undefined;
    // A deleted client's apps are revoked with it; an app granted before clients indexed their apps
    // is caught here instead.
    const client = app ? await services.webServices.clients.get(app.clientId) : undefined;
    if (!found || !app || !client) {
      return challenge(ctx as unknown as AppContext, 'invalid_token', 'The access token is invalid, expired or revoked.');
    }
    ctx.state.grant = { app, clientId: found.record.clientId, scopes: found.record.scopes };
    await next();
  };
}

/** 403 insufficient_scope unless the token carries `scope`. */
export function requireScope(scope: Scope): Middleware<SmartAppState> {
  return async (ctx, next) => {
    if (!ctx.state.grant?.scopes.includes(scope)) {
      return challenge(ctx as unknown as AppContext, 'insufficient_scope', `This operation needs the ${scope} scope.`, scope);
    }
    await next();
  };
}

/** The grant set by requireAppToken (routes only run after it). */
export function grantOf(ctx: { state: SmartAppState }): SmartAppGrant {
  const grant = ctx.state.grant;
  if (!grant) throw new Error('requireAppToken must run first');
  return grant;
}

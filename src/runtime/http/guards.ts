import Router, { type RouterOptions } from '@koa/router';
import type { Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { AppError } from '../errors';
import { isBearer } from '../secrets/authorization-header';
import type { RequestState } from './context';

/**
 * Who may call a route. Every route of every router declares one (test/security/route-guards
 * checks the whole route table), as the first middleware of the route itself: a guard is never
 * inferred from a path prefix, so no spelling of a path (case, escapes, slashes) can step around it.
 *
 * - public: anyone (health, sign-in forms, the provider's redirect back, which its state authenticates)
 * - installation-token: an installation's own access token (`appId` + `access_token`)
 * - callback-token: the callback token the host issued, in the URL (verified with the body's signature)
 * - confirmation-token: a subscription's confirmation link token
 * - client-credentials: an OAuth client authenticating at the token endpoint (RFC 6749 §2.3)
 * - operator-session: ADMIN_TOKEN as a bearer, or the operator's signed session cookie
 * - admin-token: `Authorization: Bearer ADMIN_TOKEN`
 * - admin-or-user: ADMIN_TOKEN, or the granting user's password (HTTP Basic)
 * - bearer-scope: an app access token, with per-route scope checks
 * - metrics-token: `Authorization: Bearer METRICS_TOKEN` when one is configured, else public
 */
export const GUARD_KINDS = [
  'public',
  'installation-token',
  'callback-token',
  'confirmation-token',
  'client-credentials',
  'operator-session',
  'admin-token',
  'admin-or-user',
  'bearer-scope',
  'metrics-token',
] as const;
export type GuardKind = (typeof GUARD_KINDS)[number];

const KIND = Symbol('guard');

export type Guard<S> = Middleware<S> & { readonly [KIND]: GuardKind };

/** Brands `middleware` as the guard of kind `kind`. */
export function guard<S>(kind: GuardKind, middleware: Middleware<S>): Guard<S> {
  return Object.assign((ctx: Parameters<Middleware<S>>[0], next: Parameters<Middleware<S>>[1]) => middleware(ctx, next), {
    [KIND]: kind,
  }) as Guard<S>;
}

export function guardKindOf(fn: unknown): GuardKind | undefined {
  return typeof fn === 'function' ? (fn as Partial<Guard<unknown>>)[KIND] : undefined;
}

/** Anyone may call it; the handler authenticates whatever it needs (a state, a form) itself. */
export function publicRoute<S>(): Guard<S> {
  return guard<S>('public', (_ctx, next) => next());
}

/** Checks a named API key (src/operator/api-keys.ts): the key when it is live, else undefined. */
export interface ApiKeyVerifier {
  verify(presented: string): Promise<{ id: string; scope: 'read' | 'full' } | undefined>;
}

const READS = new Set(['GET', 'HEAD']);

/**
 * `Authorization: Bearer <ADMIN_TOKEN>` (the bootstrap key: everything), or a named API key:
 * `full` may do everything, `read` only GET and HEAD (403 on anything else). An unknown, malformed
 * or revoked key is a 401, the same as no key.
 */
export function adminToken<S>(token: string, apiKeys?: ApiKeyVerifier): Guard<S> {
  return guard<S>('admin-token', async (ctx, next) => {
    const header = ctx.get('authorization');
    if (isBearer(header, token)) return next();
    const presented = /^Bearer (\S+)$/i.exec(header)?.[1];
    const key = presented !== undefined && apiKeys ? await apiKeys.verify(presented) : undefined;
    if (!key) throw new AppError('unauthorized');
    if (key.scope !== 'full' && !READS.has(ctx.method)) {
      throw new AppError('forbidden', { message: 'This API key is read-only: it may only GET.' });
    }
    const state = ctx.state as Partial<RequestState>;
    // Which key acted, in every log line of the request (never the key itself).
    if (state.log) state.log = state.log.child({ apiKeyId: key.id });
    await next();
  });
}

/** When `token` is set, `Authorization: Bearer <token>`; without one the route is public. */
export function metricsToken<S>(token: string | undefined): Guard<S> {
  return guard<S>('metrics-token', async (ctx, next) => {
    if (token !== undefined && !isBearer(ctx.get('authorization'), token)) throw new AppError('unauthorized');
    await next();
  });
}

/**
 * A credential that only the handler can verify (it is checked with the body, or needs the
 * record it authenticates): the guard refuses a request that does not even carry it, so a probe
 * without one learns nothing (no 405, no 400) beyond the 401.
 */
export function presentedIn<S>(kind: GuardKind, carries: (ctx: Parameters<Middleware<S>>[0]) => boolean): Guard<S> {
  return guard<S>(kind, async (ctx, next) => {
    if (!carries(ctx)) throw new AppError('unauthorized');
    await next();
  });
}

/**
 * An installation's own token, as `appId` + `access_token` in the query or, for a form POST, in
 * the form (parsed here; the route's own parser then finds it done). The handler verifies it
 * against the installation of the right connector.
 */
export function installationToken<S>(): Guard<S> {
  const form = bodyParser({ enableTypes: ['form'], formLimit: '64kb' }) as unknown as Middleware<S>;
  const carries = (fields: Record<string, unknown> | undefined): boolean =>
    typeof fields?.['appId'] === 'string' && typeof fields['access_token'] === 'string';
  return guard<S>('installation-token', async (ctx, next) => {
    if (ctx.method === 'POST') {
      await form(ctx, async () => undefined);
      if (!carries(ctx.request.body as Record<string, unknown> | undefined)) throw new AppError('unauthorized');
    } else if (!carries(ctx.query)) throw new AppError('unauthorized');
    await next();
  });
}

/** Routers are case-sensitive: a path matches in one spelling only. */
export function createRouter<S>(options: Omit<RouterOptions, 'sensitive'> = {}): Router<S> {
  return new Router<S>({ ...options, sensitive: true });
}

/**
 * Gives every route of `router` that declares no guard of its own `defaultGuard`, followed by
 * `after` (body parsers: run once the caller is known). Called once all routes are added.
 */
export function guarded<S>(router: Router<S>, defaultGuard: Guard<S>, ...after: Middleware<S>[]): Router<S> {
  if (router.opts.sensitive !== true) throw new Error('guarded routers must be case-sensitive (createRouter)');
  for (const layer of router.stack) {
    if (layer.methods.length === 0) continue; // router.use(): runs only with a matched route
    const stack = layer.stack as unknown[];
    if (guardKindOf(stack[0]) === undefined) stack.unshift(defaultGuard, ...after);
    else stack.splice(1, 0, ...after);
  }
  return router;
}

/** The guard of the first route of `router` whose path matches `path` (for 405 and OPTIONS). */
export function guardForPath<S>(router: Router<S>, path: string): Guard<S> | undefined {
  for (const layer of router.stack) {
    if (layer.methods.length === 0 || !layer.match(path)) continue;
    const first = layer.stack[0];
    return guardKindOf(first) === undefined ? undefined : (first as unknown as Guard<S>);
  }
  return undefined;
}

import type { ParameterizedContext } from 'koa';
import { AppError, isAppError } from '../../errors';
import type { ErrorCode } from '../../errors';
import type { Logger } from '../../logging/logger';
import { isRedisUnavailable } from '../../redis/redis';
import type { RequestState } from '../context';
import { renderAppError } from '../render-error';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** Errors thrown by Koa, the body parser or the router, mapped onto our catalogue. */
function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (isRedisUnavailable(err)) return new AppError('service_unavailable', { cause: err });
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpLikeError;
  const status = e.status ?? e.statusCode;
  if (e.type === 'entity.too.large' || status === 413) return new AppError('payload_too_large', { cause: err });
  // co-body marks JSON parse failures as a SyntaxError with status 400.
  if (e.type === 'entity.parse.failed' || (err instanceof SyntaxError && status === 400)) {
    return new AppError('invalid_json', { cause: err });
  }
  if (status === 415) return new AppError('unsupported_media_type', { cause: err });
  if (status === 405 || status === 501) return new AppError('method_not_allowed', { cause: err });
  if (status === 404) return new AppError('not_found', { cause: err });
  if (status !== undefined && status >= 400 && status < 500) {
    const code: ErrorCode = status === 401 ? 'unauthorized' : 'bad_request';
    return new AppError(code, { cause: err });
  }
  return new AppError('server_error', { cause: err });
}

/**
 * Writes a typed error as renderAppError says: JSON `{error, message}` for API callers, an escaped
 * page for browsers, the RFC shape for the variants that have one. A limited caller's Retry-After
 * comes with its error (`retryAfterS`).
 */
export function sendError(ctx: ParameterizedContext<RequestState>, err: AppError): void {
  const rendered = renderAppError(err, {
    wantsHtml: ctx.state.page === true || ctx.accepts('json', 'html') === 'html',
    linking: ctx.state.html === true,
    requestId: ctx.state.requestId,
    page: ctx.state.errorPage,
  });
  ctx.status = rendered.status;
  for (const [name, value] of Object.entries(rendered.headers)) ctx.set(name, value);
  ctx.type = rendered.type;
  ctx.body = rendered.body;
}

/**
 * Handles every error that reaches the app's error middleware: logged here (and only here), a 5xx
 * with its stack, a 4xx at info without one; then rendered by sendError.
 */
export function renderError(ctx: ParameterizedContext<RequestState>, thrown: unknown, root: Logger): void {
  const err = toAppError(thrown);
  const log = ctx.state.log ?? root;
  if (err.status >= 500) {
    const cause = err.cause instanceof Error ? err.cause : err;
    log.error({ err: cause, error: err.code, method: ctx.method, path: ctx.path }, 'request failed');
  } else {
    log.info({ error: err.code, status: err.status, method: ctx.method, path: ctx.path }, 'request rejected');
  }
  sendError(ctx, err);
}

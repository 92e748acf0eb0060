import type { ParameterizedContext } from 'koa';
import { AppError, isAppError } from '../../errors';
import type { ErrorCode } from '../../errors';
import type { Logger } from '../../logging/logger';
import { isRedisUnavailable } from '../../redis/redis';
import { failurePage } from '../error-page';
import type { RequestState } from '../context';

/** Seconds a client should wait after a 503: about a Redis reconnect attempt and a bit. */
const RETRY_AFTER_S = 5;

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
 * Renders every error in one place. JSON `{error, message}` for API callers, an escaped page for
 * browsers. A 5xx never shows its original message or stack; it is logged here (and only here)
 * with its stack, a 4xx at info without one.
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
  const message = err.status >= 500 ? `${err.message} (request id ${ctx.state.requestId ?? 'unknown'})` : err.message;
  ctx.status = err.status;
  // A 503 is a fault on our side that clears by itself: say when to come back (a cloud's webhook
  // retry, an API client, a person reloading) rather than let them guess.
  if (err.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(RETRY_AFTER_S));
  if (err.status === 401 && !ctx.state.html) ctx.set('WWW-Authenticate', 'Bearer');
  if (ctx.state.html || ctx.accepts('json', 'html') === 'html') {
    ctx.type = 'html';
    ctx.body = failurePage({ reason: message, requestId: ctx.state.requestId, linking: ctx.state.html === true });
  } else {
    ctx.body = { error: err.code, message, ...err.details };
  }
}

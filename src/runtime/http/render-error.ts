import type { AppError } from '../errors';
import type { ErrorPageContext } from './context';
import { failurePage } from './error-page';

/** Seconds a client should wait after a 503: about a Redis reconnect attempt and a bit. */
export const RETRY_AFTER_S = 5;

export interface ErrorAudience {
  /** A person's browser: a readable page rather than JSON (only for the `api` variant). */
  wantsHtml: boolean;
  /** A linking flow's page: says what failed and where to start again. */
  linking: boolean;
  requestId: string | undefined;
  /** A page's way back and, for linking, the link's status (set by the route that failed). */
  page?: ErrorPageContext | undefined;
}

export type RenderedError =
  | { status: number; headers: Record<string, string>; type: 'json'; body: Record<string, unknown> }
  | { status: number; headers: Record<string, string>; type: 'html'; body: string };

/**
 * Pure: the one mapping from a typed error to an HTTP answer, for the Koa app (error handler,
 * token endpoint, Bearer challenges) and for the raw server that refuses requests while draining.
 * A 5xx never shows its original message, only the catalogue's with the request id.
 */
export function renderAppError(err: AppError, audience: ErrorAudience): RenderedError {
  const headers: Record<string, string> = {};
  const retryAfter = err.retryAfterS ?? (err.status === 503 ? RETRY_AFTER_S : undefined);
  // A 503 is a fault on our side that clears by itself: say when to come back (a cloud's webhook
  // retry, an API client, a person reloading) rather than let them guess.
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  const variant = err.variant;
  switch (variant.kind) {
    case 'oauth_token':
      headers['Cache-Control'] = 'no-store';
      headers['Pragma'] = 'no-cache';
      if (err.status === 401) headers['WWW-Authenticate'] = 'Basic realm="oauth", charset="UTF-8"';
      return { status: err.status, headers, type: 'json', body: { error: err.code, error_description: err.message } };
    case 'bearer': {
      const params = [
        `realm="${variant.realm}"`,
        ...(variant.describe ? [`error="${err.code}"`, `error_description="${err.message}"`] : []),
        ...(variant.scope ? [`scope="${variant.scope}"`] : []),
      ];
      headers['WWW-Authenticate'] = `Bearer ${params.join(', ')}`;
      return { status: err.status, headers, type: 'json', body: { error: err.code, message: err.message } };
    }
    case 'api': {
      // The request id lets a person quote the failure; a request refused before it got one has none.
      const message = err.status >= 500 && audience.requestId ? `${err.message} (request id ${audience.requestId})` : err.message;
      if (err.status === 401 && !audience.linking) headers['WWW-Authenticate'] = 'Bearer';
      if (audience.wantsHtml || audience.linking) {
        return { status: err.status, headers, type: 'html', body: failurePage({ reason: message, requestId: audience.requestId, linking: audience.linking, context: audience.page }) };
      }
      return { status: err.status, headers, type: 'json', body: { error: err.code, message, ...err.details } };
    }
  }
}

import { ERROR_CATALOGUE, type ErrorCode } from './codes';

/**
 * How an error is rendered where a standard fixes its shape. `api` is ours: `{error, message}` as
 * JSON, or a page for a browser. The others are always JSON, whatever the Accept header says.
 */
export type ErrorVariant =
  | { kind: 'api' }
  /** RFC 6749 §5.2: `{error, error_description}`, no-store, a Basic challenge on 401. */
  | { kind: 'oauth_token' }
  /** RFC 6750 §3: a Bearer challenge naming the realm and, when `describe`, the error (and scope). */
  | { kind: 'bearer'; realm: string; describe: boolean; scope?: string };

export interface AppErrorOptions {
  message?: string;
  cause?: unknown;
  /** Extra fields rendered next to `error` and `message` (e.g. the conflicting installation id). */
  details?: Record<string, string | number | boolean>;
  variant?: ErrorVariant;
  /** Seconds for Retry-After (a 503 without one gets the renderer's default). */
  retryAfterS?: number;
}

/**
 * Every error we raise on purpose. `code` is stable and machine-readable; `status` and `expose`
 * come from the catalogue so a call site cannot invent an inconsistent pairing.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly details: Record<string, string | number | boolean> | undefined;
  readonly variant: ErrorVariant;
  readonly retryAfterS: number | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const entry = ERROR_CATALOGUE[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.expose = entry.status < 500;
    this.details = options.details;
    this.variant = options.variant ?? { kind: 'api' };
    this.retryAfterS = options.retryAfterS;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

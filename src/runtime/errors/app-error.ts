import { ERROR_CATALOGUE, type ErrorCode } from './codes';

export interface AppErrorOptions {
  message?: string;
  cause?: unknown;
  /** Extra fields rendered next to `error` and `message` (e.g. the conflicting installation id). */
  details?: Record<string, string | number | boolean>;
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

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const entry = ERROR_CATALOGUE[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.expose = entry.status < 500;
    this.details = options.details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

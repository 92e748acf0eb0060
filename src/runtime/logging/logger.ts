import { pino, type Logger, type DestinationStream } from 'pino';
import { REDACT_PATHS, scrubText, scrubValue } from './redact';
import { currentRequestId } from './request-context';

export type { Logger };

/**
 * The one root logger. Children bind connector, installationId, jobId; a line written while a
 * request runs gets its requestId from the request context (request-context.ts). Secrets are
 * removed in three layers: fixed paths (REDACT_PATHS), secret-named fields at any depth, and
 * token-shaped text (URL parameters, Bearer values) in every string, the message included.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: null,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { requestId };
      },
      formatters: {
        log: (object) => scrubValue(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          // log.warn(err): pino would take the message from the error itself, unscrubbed.
          const head = first instanceof Error ? { err: first } : first;
          const tail = first instanceof Error && rest.length === 0 ? [first.message] : rest;
          const scrubbed = [head, ...tail].map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

import { pino, type Logger, type DestinationStream } from 'pino';
import { REDACT_PATHS } from './redact';

export type { Logger };

/** The one root logger. Children bind connector, installationId, jobId, requestId. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: null,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

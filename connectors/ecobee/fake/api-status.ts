import { json, type Reply } from '../../../src/connectors/fake-cloud';

/** The status object every /1/* answer carries, and the error that becomes one (§6). */

/** §6, verbatim. */
const STATUS_MESSAGES = {
  0: '',
  1: 'Authentication failed.',
  2: 'Not authorized.',
  3: 'Processing error.',
  4: 'Serialization error.',
  5: 'Invalid request format.',
  6: 'Too many thermostat in selection match criteria.',
  7: 'Validation error.',
  8: 'Invalid function.',
  9: 'Invalid selection.',
  10: 'Invalid page.',
  11: 'Function error.',
  12: 'Post not supported for request.',
  13: 'Get not supported for request.',
  14: 'Authentication token has expired. Refresh your tokens.',
  15: 'Duplicate data violation.',
  16: 'Invalid token. Token has been deauthorized by user. You must re-request authorization.',
} as const;

export type StatusCode = keyof typeof STATUS_MESSAGES;

export const statusObject = (code: StatusCode): { code: StatusCode; message: string } => ({
  code,
  message: STATUS_MESSAGES[code],
});

/** §6: non-zero codes come with HTTP 500 (what PEA, ST and SUITE key on). */
export const apiStatus = (code: StatusCode): Reply => json(code === 0 ? 200 : 500, { status: statusObject(code) });

export class ApiError extends Error {
  constructor(readonly code: StatusCode) {
    super(STATUS_MESSAGES[code]);
  }
}

export const OK = { code: 0, message: '' };

import { json, type FakeCloudSpec } from '../../../src/connectors/fake-cloud';
import type { FakeRoute } from './routes';

/**
 * What the fake Netatmo sends when a test breaks it (failNext), a route is unknown or a handler
 * throws: Netatmo's own error shapes, so a client's error handling meets what the real cloud sends.
 */
export const FAILURE_SHAPES = {
  notFound: (method, path) => json(404, { error: { code: 404, message: `No route for ${method} ${path}` } }),
  // API errors use the nested shape (§2.1); code 11 is Netatmo's internal error.
  faultBody: (route) =>
    route === 'authorize' || route === 'token' ? { error: 'server_error' } : { error: { code: 11, message: 'Internal error' } },
  malformedJson: '{"body":{"homes":[{"id":"5c4f',
  internalErrorBody: (message) => ({ error: { code: 11, message: `fake internal error: ${message}` } }),
} satisfies Pick<FakeCloudSpec<FakeRoute>, 'notFound' | 'faultBody' | 'malformedJson' | 'internalErrorBody'>;

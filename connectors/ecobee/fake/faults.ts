import { json, type FakeCloudSpec } from '../../../src/connectors/fake-cloud';
import { statusObject } from './api-status';
import type { FakeRoute } from './routes';

/**
 * What the fake ecobee sends when a test breaks it (failNext), a route is unknown or a handler
 * throws: ecobee's own error shapes, so a client's error handling meets what the real cloud sends.
 */
export const FAILURE_SHAPES = {
  notFound: (method, path) => json(404, { error: 'not_found', error_description: `No route for ${method} ${path}` }),
  // /1/* errors carry a status object (§6); code 3 is ecobee's catch-all "Processing error.".
  faultBody: (route) =>
    route === 'thermostat' || route === 'thermostatSummary' ? { status: statusObject(3) } : { error: 'server_error' },
  // A cut-off JSON document, labelled as JSON.
  malformedJson: '{"status":{"code":0,"mess',
  internalErrorBody: (message) => ({ error: 'fake_internal_error', error_description: message }),
} satisfies Pick<FakeCloudSpec<FakeRoute>, 'notFound' | 'faultBody' | 'malformedJson' | 'internalErrorBody'>;

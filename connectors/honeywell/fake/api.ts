import { json, type AccessCheck, type FakeCloudSpec, type Reply } from '../../../src/connectors/fake-cloud';
import { applyChange, type LocationStore } from './devices';

/**
 * The fake's /v2 API (honeywell-api.md §3–§5): apikey on every call, a bearer token, locationId on
 * device calls, and the cloud's error bodies: `{code, message}` from the app, Apigee `fault`
 * bodies from the gateway.
 */

export type ApiRoute = 'locations' | 'devices' | 'thermostat';
export type FakeRoute = 'authorize' | 'token' | ApiRoute;

export function routeOf(method: string, path: string): FakeRoute | undefined {
  if (path === '/oauth2/authorize' && (method === 'GET' || method === 'POST')) return 'authorize';
  if (path === '/oauth2/token' && method === 'POST') return 'token';
  if (path === '/v2/locations' && method === 'GET') return 'locations';
  if (path === '/v2/devices' && method === 'GET') return 'devices';
  if (/^\/v2\/devices\/thermostats\/[^/]+$/.test(path) && (method === 'GET' || method === 'POST')) return 'thermostat';
  return undefined;
}

/** §3: Apigee's default answer to a missing or wrong apikey [U]. */
const INVALID_API_KEY = {
  fault: { faultstring: 'Invalid ApiKey', detail: { errorcode: 'oauth.v2.InvalidApiKey' } },
};

/** §5: the app's answer to an expired or invalid token; `apigee` sends the gateway's shape instead [U]. */
function unauthorized(check: Exclude<AccessCheck, { ok: true }>, apigee: boolean): Reply {
  if (!apigee) return json(401, { code: 'Unauthorized', message: 'Authorization has been denied for this request ' });
  const expired = check.reason === 'expired';
  return json(401, {
    fault: {
      faultstring: expired ? 'Access Token expired' : 'Invalid Access Token',
      detail: { errorcode: expired ? 'keymanagement.service.access_token_expired' : 'keymanagement.service.invalid_access_token' },
    },
  });
}

export interface ApiInput {
  route: ApiRoute;
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  access: AccessCheck;
  clientId: string;
  apigeeFaults: boolean;
  locations: LocationStore;
}

export function handleApi(input: ApiInput): Reply {
  if (input.query.get('apikey') !== input.clientId) return json(401, INVALID_API_KEY);
  if (!input.access.ok) return unauthorized(input.access, input.apigeeFaults);
  if (input.route === 'locations') return json(200, input.locations.all());
  const locationId = Number(input.query.get('locationId'));
  const location = Number.isInteger(locationId) ? input.locations.location(locationId) : undefined;
  if (!location) return json(400, { code: 400, message: 'Location Not Found' });
  if (input.route === 'devices') return json(200, location.devices);
  const deviceId = decodeURIComponent(input.path.split('/').pop() ?? '');
  const thermostat = input.locations.find(deviceId, locationId);
  // §5: the cloud says 400, not 404, for a device it does not find.
  if (!thermostat) return json(400, { code: 400, message: 'Device Not Found' });
  if (input.method === 'GET') return json(200, thermostat);
  let body: unknown;
  try {
    body = JSON.parse(input.body);
  } catch {
    return json(400, { code: 400, message: 'The request is invalid.' });
  }
  const outcome = applyChange(thermostat, body);
  if ('error' in outcome) return json(400, { code: 400, message: outcome.error });
  thermostat.changeableValues = outcome.values;
  // §4: POST success is 200; no client reads the body.
  return json(200, {});
}

export const FAILURE_SHAPES = {
  notFound: (method, path) => json(404, { code: 404, message: `No HTTP resource was found that matches ${method} ${path}.` }),
  faultBody: (route) => (route === 'token' || route === 'authorize' ? { error: 'server_error' } : { code: 500, message: 'An error has occurred.' }),
  // §5: the one rate-limit body seen [1: HB#106].
  rateLimitBody: () => ({ code: '429.02.001', message: 'rate limit has been exhausted' }),
  malformedJson: '[{"locationID":559589,"name":"Ho',
  internalErrorBody: (message) => ({ code: 500, message: `fake internal error: ${message}` }),
} satisfies Pick<FakeCloudSpec<FakeRoute>, 'notFound' | 'faultBody' | 'rateLimitBody' | 'malformedJson' | 'internalErrorBody'>;

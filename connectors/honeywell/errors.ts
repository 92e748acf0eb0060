import { defaultClassify, type Classification, type CloudResponse, type ResponseMatch } from '../../src/connectors/sdk';

/**
 * What a Honeywell answer means (honeywell-api.md §5). App errors are `{code, message}`; Apigee,
 * the gateway in front of the API, may answer `{fault: {faultstring, detail: {errorcode}}}`.
 */

/** Checked before classify: an expired or invalid access token, in both shapes (§5, §3). */
export const tokenExpired: readonly ResponseMatch[] = [
  { status: [401], field: 'code', values: ['Unauthorized', 401] },
  {
    status: [401],
    field: 'fault.detail.errorcode',
    values: ['keymanagement.service.access_token_expired', 'keymanagement.service.invalid_access_token', 'oauth.v2.InvalidAccessToken'],
  },
];

export function faultCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('fault' in body)) return undefined;
  const fault = (body as { fault: unknown }).fault;
  if (typeof fault !== 'object' || fault === null) return undefined;
  const detail = (fault as { detail?: unknown }).detail;
  if (typeof detail !== 'object' || detail === null) return undefined;
  const code = (detail as { errorcode?: unknown }).errorcode;
  return typeof code === 'string' ? code : undefined;
}

function message(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const text = (body as { message?: unknown }).message;
  return typeof text === 'string' ? text : undefined;
}

export function classify(response: CloudResponse): Classification {
  const fault = faultCode(response.body);
  // A wrong or revoked apikey is our configuration, not the user's token: refreshing cannot fix it.
  if (fault === 'oauth.v2.InvalidApiKey' || fault === 'oauth.v2.InvalidApiKeyForGivenResource') return 'fatal';
  // Apigee's quota policies (§5: 429, maybe as a fault body under another status).
  if (fault?.startsWith('policies.ratelimit.')) return 'rate_limited';
  // "Device Not Found" was seen during a service incident for devices that exist (§5): try later.
  if (response.status === 400 && /device not found/i.test(message(response.body) ?? '')) return 'retry';
  return defaultClassify(response);
}

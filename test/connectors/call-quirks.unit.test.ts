import { describe, expect, it } from 'vitest';
import { classifierFor, withApiKey } from '../../src/cloud/call-quirks';
import { matchesResponse, RFC6749_REFRESH_REFUSED, type CloudResponse } from '../../src/connectors';
import { buildAuthorizeUrl } from '../../src/linking/exchange';

const credentials = { clientId: 'consumer-key', clientSecret: 'consumer-secret', apiUrl: 'https://api.example.com' };
const response = (status: number, body: unknown): CloudResponse => ({ status, body, headers: new Headers(), text: JSON.stringify(body) });

describe('quirks as data: response matches', () => {
  it('RFC 6749 default: 400 invalid_grant refused; 400 invalid_request, 500 invalid_grant and a non-JSON 400 are not', () => {
    expect(matchesResponse(RFC6749_REFRESH_REFUSED, 400, { error: 'invalid_grant' })).toBe(true);
    expect(matchesResponse(RFC6749_REFRESH_REFUSED, 401, { error: 'invalid_client' })).toBe(true);
    expect(matchesResponse(RFC6749_REFRESH_REFUSED, 400, { error: 'invalid_request' })).toBe(false);
    expect(matchesResponse(RFC6749_REFRESH_REFUSED, 500, { error: 'invalid_grant' })).toBe(false);
    expect(matchesResponse(RFC6749_REFRESH_REFUSED, 400, undefined)).toBe(false);
  });

  it('a dotted field reaches nested bodies (Apigee fault); status-only and presence-only rules', () => {
    const apigee = [{ field: 'fault.detail.errorcode', values: ['keymanagement.service.access_token_expired'] }];
    expect(matchesResponse(apigee, 401, { fault: { faultstring: 'Access Token expired', detail: { errorcode: 'keymanagement.service.access_token_expired' } } })).toBe(true);
    expect(matchesResponse(apigee, 401, { fault: { detail: {} } })).toBe(false);
    expect(matchesResponse(apigee, 401, { fault: 'keymanagement.service.access_token_expired' })).toBe(false);
    expect(matchesResponse([{ status: [401, 403] }], 403, 'anything')).toBe(true);
    expect(matchesResponse([{ field: 'code' }], 400, { code: 0 })).toBe(true);
    expect(matchesResponse([{ field: 'constructor' }], 400, {})).toBe(false);
  });
});

describe('quirks as data: the authorized client', () => {
  it('apiKey in the query (Honeywell) or a header, from the client id or secret; absent => request unchanged', () => {
    const req = { path: '/v2/locations', query: { locationId: 7 } };
    expect(withApiKey(req, { in: 'query', name: 'apikey', from: 'clientId' }, credentials).query).toEqual({ locationId: 7, apikey: 'consumer-key' });
    expect(withApiKey(req, { in: 'header', name: 'x-api-key', from: 'clientSecret' }, credentials).headers).toEqual({ 'x-api-key': 'consumer-secret' });
    expect(withApiKey(req, undefined, credentials)).toBe(req);
    expect(withApiKey(req, { in: 'query', name: 'k', from: 'clientSecret' }, { clientId: 'a', clientSecret: undefined, apiUrl: 'https://x' })).toBe(req);
  });

  it('tokenExpired rules are checked before classify; without them classify (or the default) decides', () => {
    const classify = classifierFor({ tokenExpired: [{ status: [400], field: 'code', values: ['Unauthorized'] }], classify: () => 'fatal' });
    expect(classify(response(400, { code: 'Unauthorized' }))).toBe('token_expired');
    expect(classify(response(400, { code: 400 }))).toBe('fatal');
    expect(classifierFor({})(response(401, {}))).toBe('token_expired');
    expect(classifierFor({})(response(429, {}))).toBe('rate_limited');
  });
});

describe('quirks as data: the authorize URL', () => {
  const provider = {
    authorizePath: '/oauth2/authorize',
    tokenPath: '/oauth2/token',
    scopes: [] as string[],
    scopeSeparator: ' ' as const,
    clientAuth: 'basic' as const,
    tokenParams: 'body' as const,
    pkce: false,
    authorizeParams: { appSelect: '1' },
  };
  it('no scopes => no scope parameter at all; static authorizeParams are sent', () => {
    const url = new URL(buildAuthorizeUrl(provider, credentials, { redirectUri: 'https://host/cb', state: 's', codeChallenge: undefined }));
    expect(url.searchParams.has('scope')).toBe(false);
    expect(url.searchParams.get('appSelect')).toBe('1');
    expect(url.searchParams.get('client_id')).toBe('consumer-key');
  });
  it('scopes => joined with the separator; a PKCE challenge => S256', () => {
    const url = new URL(buildAuthorizeUrl({ ...provider, scopes: ['a', 'b'] }, credentials, { redirectUri: 'https://host/cb', state: 's', codeChallenge: 'chal' }));
    expect(url.searchParams.get('scope')).toBe('a b');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });
});

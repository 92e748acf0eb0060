import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHoneywell } from '../fake/server';

/**
 * The fake Honeywell cloud over real HTTP: what docs/clouds/honeywell-api.md says the real one
 * does (§n), so a connector that passes against it meets the same rules.
 */

let fake: FakeHoneywell;
beforeEach(async () => {
  fake = await FakeHoneywell.start();
});
afterEach(async () => {
  await fake.stop();
});

const basic = (id = fake.clientId, secret = fake.clientSecret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function token(form: Record<string, string>, authorization?: string) {
  const res = await fetch(`${fake.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function call(path: string, init: { token?: string; query?: Record<string, string | number>; method?: string; json?: unknown } = {}) {
  const url = new URL(path, fake.url);
  for (const [k, v] of Object.entries(init.query ?? { apikey: fake.clientId })) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.json ? { 'content-type': 'application/json' } : {}) },
    ...(init.json ? { body: JSON.stringify(init.json) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}

describe('fake honeywell: OAuth (§2)', () => {
  it('the token endpoint wants HTTP Basic: the same credentials in the body alone => 401; expires_in is a string', async () => {
    const { refreshToken } = fake.issueTokens();
    const inBody = await token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: fake.clientId, client_secret: fake.clientSecret });
    expect(inBody.status).toBe(401);
    const ok = await token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic());
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: '1799' });
    expect(typeof ok.body['access_token']).toBe('string');
  });

  it('refresh tokens rotate: the old one is then refused with 400 invalid_grant and counted as stale', async () => {
    const { refreshToken } = fake.issueTokens();
    const first = await token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic());
    expect(first.body['refresh_token']).not.toBe(refreshToken);
    expect(await token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic())).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(fake.staleRefreshAttempts()).toBe(1);
    expect(fake.refreshCount()).toBe(2);
  });

  it('a wrong secret => 401 {code, message}; deauthorize => invalid_grant', async () => {
    const { refreshToken } = fake.issueTokens();
    expect((await token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(fake.clientId, 'nope'))).status).toBe(401);
    fake.deauthorize();
    expect((await token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic())).body).toEqual({ error: 'invalid_grant' });
  });
});

describe('fake honeywell: /v2 (§3–§5)', () => {
  it('locations with their thermostats; apikey missing => Apigee InvalidApiKey fault; no token => 401 {code: Unauthorized}', async () => {
    const { accessToken } = fake.issueTokens();
    const ok = await call('/v2/locations', { token: accessToken });
    expect(ok.status).toBe(200);
    expect((ok.body as Array<{ locationID: number; devices: unknown[] }>).map((l) => [l.locationID, l.devices.length])).toEqual([
      [559589, 2],
      [1541748, 1],
    ]);
    expect(await call('/v2/locations', { token: accessToken, query: {} })).toMatchObject({
      status: 401,
      body: { fault: { detail: { errorcode: 'oauth.v2.InvalidApiKey' } } },
    });
    expect(await call('/v2/locations')).toMatchObject({ status: 401, body: { code: 'Unauthorized' } });
  });

  it('an expired token => 401 {code, message}, or an Apigee fault when switched on', async () => {
    const { accessToken } = fake.issueTokens();
    fake.expireAccessTokens();
    expect((await call('/v2/locations', { token: accessToken })).body).toEqual({ code: 'Unauthorized', message: 'Authorization has been denied for this request ' });
    fake.apigeeFaults = true;
    expect((await call('/v2/locations', { token: accessToken })).body).toMatchObject({
      fault: { faultstring: 'Access Token expired', detail: { errorcode: 'keymanagement.service.access_token_expired' } },
    });
  });

  it('a device is addressed by id and location: the wrong location => 400 Device Not Found', async () => {
    const { accessToken } = fake.issueTokens();
    const path = '/v2/devices/thermostats/LCC-00D02DAB5CC0';
    expect((await call(path, { token: accessToken, query: { apikey: fake.clientId, locationId: 1541748 } })).status).toBe(200);
    expect(await call(path, { token: accessToken, query: { apikey: fake.clientId, locationId: 559589 } })).toMatchObject({
      status: 400,
      body: { code: 400, message: 'Device Not Found' },
    });
    expect((await call(path, { token: accessToken })).body).toEqual({ code: 400, message: 'Location Not Found' });
  });

  it("POST needs mode and both setpoints, an allowed mode, the deadband; then it applies (§4, §5's messages)", async () => {
    const { accessToken } = fake.issueTokens();
    const post = (json: unknown) =>
      call('/v2/devices/thermostats/TCC-2728972', { token: accessToken, method: 'POST', json, query: { apikey: fake.clientId, locationId: 559589 } });
    expect((await post({ mode: 'Heat', heatSetpoint: 66 })).body).toEqual({ code: 400, message: "'CoolSetpoint' is required." });
    expect((await post({ mode: 'Auto', heatSetpoint: 66, coolSetpoint: 78 })).body).toEqual({
      code: 400,
      message: 'Mode Auto is not allowed. Allowed modes are Heat, Off, Cool.',
    });
    expect((await post({ mode: 'Heat', heatSetpoint: 77, coolSetpoint: 78 })).body).toEqual({
      code: 400,
      message: 'Cool setpoint can not be lower than heat setpoint plus deadband.',
    });
    expect((await post({ mode: 'Cool', heatSetpoint: 66, coolSetpoint: 76, autoChangeoverActive: false })).status).toBe(200);
    expect(fake.thermostat('TCC-2728972')?.changeableValues).toMatchObject({ mode: 'Cool', heatSetpoint: 66, coolSetpoint: 76 });
  });

  it("the kit's hooks in Honeywell's shapes: 429 with its body and Retry-After, 500, and the request log", async () => {
    const { accessToken } = fake.issueTokens();
    fake.rateLimitNext('locations', 30);
    const limited = await call('/v2/locations', { token: accessToken });
    expect(limited).toMatchObject({ status: 429, body: { code: '429.02.001', message: 'rate limit has been exhausted' } });
    expect(limited.headers.get('retry-after')).toBe('30');
    fake.failWithStatus('locations', 503);
    expect(await call('/v2/locations', { token: accessToken })).toMatchObject({ status: 503, body: { code: 500 } });
    expect(fake.dump()).toMatch(/GET \/v2\/locations \?apikey auth:present => fault status 429/);
    expect(fake.dump()).not.toContain(accessToken);
  });
});

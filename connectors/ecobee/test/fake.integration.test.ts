import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeEcobee, type FakeEcobeeOptions, type TokenResponse } from '../fake/server';

/**
 * The fake ecobee cloud over real HTTP (global fetch). Expected bodies follow
 * /work/shared/ecobee-api.md (§1.6 token errors, §6 status codes).
 */

const REDIRECT_URI = 'http://127.0.0.1:4999/oauth/callback';
const ERROR_URI = 'https://tools.ietf.org/html/rfc6749#section-5.2';
const INVALID_GRANT = {
  error: 'invalid_grant',
  error_description:
    'The authorization grant, token or credentials are invalid, expired, revoked, do not match the redirection URI used in the authorization request, or was issued to another client.',
  error_uri: ERROR_URI,
};
const INVALID_CLIENT = {
  error: 'invalid_client',
  error_description: 'Authentication error, invalid authentication method, lack of credentials, etc.',
  error_uri: ERROR_URI,
};
const OK = { status: { code: 0, message: '' } };
const status = (code: number, message: string) => ({ status: { code, message } });
const AUTH_FAILED = status(1, 'Authentication failed.');
const TOKEN_EXPIRED = status(14, 'Authentication token has expired. Refresh your tokens.');
const DEAUTHORIZED = status(16, 'Invalid token. Token has been deauthorized by user. You must re-request authorization.');

const REGISTERED = { selectionType: 'registered', selectionMatch: '' };
const only = (...ids: string[]) => ({ selectionType: 'thermostats', selectionMatch: ids.join(',') });

// ---------------------------------------------------------------------------------------------
// helpers

let fake: FakeEcobee;
const running: FakeEcobee[] = [];

async function startFake(opts: FakeEcobeeOptions = {}): Promise<FakeEcobee> {
  const started = await FakeEcobee.start(opts);
  running.push(started);
  return started;
}

beforeEach(async () => {
  fake = await startFake();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});

function authorizeUrl(f: FakeEcobee, params: Record<string, string | null> = {}): string {
  const url = new URL('/authorize', f.url);
  const all: Record<string, string | null> = {
    response_type: 'code',
    client_id: f.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'smartRead,smartWrite',
    state: 'st-123',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== null) url.searchParams.set(name, value);
  return url.toString();
}

function postForm(url: string, form: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
}

function tokenUrl(f: FakeEcobee, query: Record<string, string>): string {
  const url = new URL('/token', f.url);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

async function postToken(f: FakeEcobee, query: Record<string, string>, init: RequestInit = {}) {
  const res = await fetch(tokenUrl(f, query), { method: 'POST', ...init });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function codeFor(f: FakeEcobee, params: Record<string, string | null> = {}): Promise<string> {
  const location = new URL(await f.approve(authorizeUrl(f, params)));
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code in ${location.href}`);
  return code;
}

async function login(f: FakeEcobee = fake): Promise<TokenResponse> {
  const code = await codeFor(f);
  const res = await postToken(f, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: f.clientId,
  });
  expect(res.status).toBe(200);
  return res.body as TokenResponse;
}

function refresh(f: FakeEcobee, refreshToken: string, param: 'refresh_token' | 'code' = 'refresh_token') {
  return postToken(f, { grant_type: 'refresh_token', [param]: refreshToken, client_id: f.clientId, ecobee_type: 'jwt' });
}

type Encoding = 'json' | 'body';

function apiUrl(f: FakeEcobee, path: string, request: unknown, encoding: Encoding = 'json'): string {
  const url = new URL(path, f.url);
  const text = typeof request === 'string' ? request : JSON.stringify(request);
  if (encoding === 'json') url.searchParams.set('json', text);
  else {
    url.searchParams.set('format', 'json');
    url.searchParams.set('body', text);
  }
  return url.toString();
}

const bearer = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

async function get(f: FakeEcobee, path: string, token: string | undefined, request: unknown, encoding?: Encoding) {
  const res = await fetch(apiUrl(f, path, request, encoding), {
    headers: { 'content-type': 'application/json;charset=UTF-8', ...bearer(token) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function post(f: FakeEcobee, token: string, request: unknown) {
  const res = await fetch(new URL('/1/thermostat?format=json', f.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json;charset=UTF-8', ...bearer(token) },
    body: typeof request === 'string' ? request : JSON.stringify(request),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

interface ListedThermostat {
  identifier: string;
  name: string;
  thermostatRev: string;
  runtime?: { desiredHeat: number; desiredCool: number; runtimeRev: string };
  settings?: { hvacMode: string };
  equipmentStatus?: string;
  remoteSensors?: unknown[];
}

async function list(f: FakeEcobee, token: string, selection: object = REGISTERED): Promise<ListedThermostat[]> {
  const res = await get(f, '/1/thermostat', token, { selection });
  expect(res.status).toBe(200);
  return res.body['thermostatList'] as ListedThermostat[];
}

async function summary(f: FakeEcobee, token: string, selection: object = REGISTERED) {
  const res = await get(f, '/1/thermostatSummary', token, { selection });
  expect(res.status).toBe(200);
  return res.body as { thermostatCount: number; revisionList: string[]; statusList?: string[] };
}

const hold = (heatHoldTemp: unknown, coolHoldTemp: unknown, extra: object = {}) => ({
  type: 'setHold',
  params: { heatHoldTemp, coolHoldTemp, holdType: 'nextTransition', ...extra },
});

const ID1 = '311000000001';
const ID2 = '311000000002';

// ---------------------------------------------------------------------------------------------

describe('FakeEcobee lifecycle', () => {
  it('listens on an ephemeral 127.0.0.1 port with the default client and thermostats', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.clientId).toBe('fake-ecobee-client');
    expect(fake.thermostats().map((t) => [t.identifier, t.name])).toEqual([
      ['311000000001', 'Living Room'],
      ['311000000002', 'Upstairs'],
      ['311000000003', 'Basement'],
    ]);
  });

  it('seeds thermostats with ecobee-shaped defaults', async () => {
    const f = await startFake({ thermostats: [{ identifier: '1', name: 'Hall', hvacMode: 'heat', desiredHeat: 700 }] });
    const t = f.thermostat('1');
    expect(t).toMatchObject({
      identifier: '1',
      name: 'Hall',
      isRegistered: true,
      modelNumber: 'athenaSmart',
      brand: 'ecobee',
      equipmentStatus: '',
      remoteSensors: [],
      runtime: { connected: true, actualTemperature: 711, actualHumidity: 42, desiredHeat: 700, desiredCool: 750 },
      settings: { hvacMode: 'heat', useCelsius: false },
    });
    expect(t?.thermostatRev).toMatch(/^\d{12}$/);
    expect(f.thermostat('nope')).toBeUndefined();
  });

  it('answers unknown paths with 404 JSON', async () => {
    const res = await fetch(`${fake.url}/1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found', error_description: 'No route for GET /1/nothing' });
    expect((await fetch(`${fake.url}/token`)).status).toBe(404); // /token is POST only
  });

  it('stop() is idempotent', async () => {
    const f = await startFake();
    await f.stop();
    await f.stop();
    await expect(fetch(`${f.url}/1/thermostat`)).rejects.toThrow();
  });
});

describe('GET /authorize', () => {
  it('renders an escaped sign-in page carrying the request in hidden fields', async () => {
    const res = await fetch(authorizeUrl(fake, { state: '<script>"x"&\'' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('<title>ecobee — Sign in</title>');
    expect(page).toContain('<form method="post" action="/authorize">');
    expect(page).toContain('<input type="hidden" name="state" value="&lt;script&gt;&quot;x&quot;&amp;&#39;">');
    expect(page).toContain(`<input type="hidden" name="redirect_uri" value="${REDIRECT_URI}">`);
    expect(page).toContain('name="username"');
    expect(page).toContain('name="password"');
    expect(page).toContain('<button type="submit" name="decision" value="accept">');
    expect(page).toContain('<button type="submit" name="decision" value="decline">');
    expect(page).toContain('<code>smartRead</code>');
    expect(page).toContain('<code>smartWrite</code>');
    expect(page).not.toContain('<script>');
  });

  it.each([
    ['an unknown client_id', { client_id: 'someone-else' }, 'Unknown application (client_id).'],
    ['a missing client_id', { client_id: null }, 'Unknown application (client_id).'],
    ['response_type=token', { response_type: 'token' }, 'Unsupported response_type: this server only supports "code".'],
    ['response_type=ecobeePin', { response_type: 'ecobeePin' }, 'Unsupported response_type: this server only supports "code".'],
    ['a missing redirect_uri', { redirect_uri: null }, 'redirect_uri must be an absolute http(s) URL.'],
    ['a relative redirect_uri', { redirect_uri: '/callback' }, 'redirect_uri must be an absolute http(s) URL.'],
    ['a non-http redirect_uri', { redirect_uri: 'javascript:alert(1)' }, 'redirect_uri must be an absolute http(s) URL.'],
    ['a redirect_uri with a fragment', { redirect_uri: 'https://x.test/cb#frag' }, 'redirect_uri must be an absolute http(s) URL.'],
  ])('answers %s with a 400 error page, never a redirect', async (_label, params, message) => {
    const res = await fetch(authorizeUrl(fake, params), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain(`<p class="error" role="alert">${message.replace(/"/g, '&quot;')}</p>`);
  });
});

describe('POST /authorize', () => {
  const form = (f: FakeEcobee, extra: Record<string, string>) => ({
    response_type: 'code',
    client_id: f.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'smartRead,smartWrite',
    state: 'st-123',
    ...extra,
  });

  it('redirects with a one-time code and the state on accept', async () => {
    const res = await postForm(`${fake.url}/authorize`, form(fake, { username: 'demo@example.com', password: 'demo', decision: 'accept' }));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(location.searchParams.get('state')).toBe('st-123');
  });

  it('omits state when none was sent', async () => {
    const { state: _omitted, ...noState } = form(fake, { username: 'demo@example.com', password: 'demo', decision: 'accept' });
    const res = await postForm(`${fake.url}/authorize`, noState);
    const location = new URL(res.headers.get('location') ?? '');
    expect([...location.searchParams.keys()]).toEqual(['code']);
  });

  it('keeps the redirect_uri query and appends to it', async () => {
    const redirectUri = 'https://app.test/cb?tenant=a';
    const location = await fake.approve(authorizeUrl(fake, { redirect_uri: redirectUri }));
    expect(location).toMatch(/^https:\/\/app\.test\/cb\?tenant=a&code=[A-Za-z0-9]{32}&state=st-123$/);
  });

  it('redirects with access_denied on decline', async () => {
    const res = await postForm(`${fake.url}/authorize`, form(fake, { decision: 'decline' }));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The user denied the authorization request.',
      state: 'st-123',
    });
  });

  it('shows the form again with an error on wrong credentials', async () => {
    const res = await postForm(`${fake.url}/authorize`, form(fake, { username: 'demo@example.com', password: 'nope', decision: 'accept' }));
    expect(res.status).toBe(401);
    expect(res.headers.get('location')).toBeNull();
    const page = await res.text();
    expect(page).toContain('<p class="error" role="alert">Incorrect email or password.</p>');
    expect(page).toContain('<input type="hidden" name="state" value="st-123">');
    expect(page).toContain('value="demo@example.com"');
  });

  it('re-validates the carried parameters', async () => {
    const res = await postForm(`${fake.url}/authorize`, form(fake, { client_id: 'x', username: 'demo@example.com', password: 'demo' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('uses configured credentials', async () => {
    const f = await startFake({ username: 'ann', password: 's3cret' });
    expect(await f.approve(authorizeUrl(f))).toContain('code=');
    const res = await postForm(`${f.url}/authorize`, form(f, { username: 'demo@example.com', password: 'demo' }));
    expect(res.status).toBe(401);
  });
});

describe('approve()', () => {
  it('returns the accept and decline redirects without following them', async () => {
    expect(await fake.approve(authorizeUrl(fake))).toMatch(/^http:\/\/127\.0\.0\.1:4999\/oauth\/callback\?code=\w{32}&state=st-123$/);
    expect(await fake.approve(authorizeUrl(fake), 'decline')).toBe(
      `${REDIRECT_URI}?error=access_denied&error_description=The+user+denied+the+authorization+request.&state=st-123`,
    );
  });

  it('throws with the page error when the authorize request is bad', async () => {
    await expect(fake.approve(authorizeUrl(fake, { client_id: 'x' }))).rejects.toThrow(
      'fake ecobee: authorize page answered 400: Unknown application (client_id).',
    );
  });
});

describe('POST /token: authorization_code', () => {
  it('exchanges a code for §1.4 tokens (query-string parameters)', async () => {
    const code = await codeFor(fake);
    const res = await fetch(tokenUrl(fake, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: fake.clientId }), {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as TokenResponse;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: 'smartRead,smartWrite' });
    expect(body.access_token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]{100,}$/);
    expect(body.refresh_token).toMatch(/^v1\.[\w-]{20,}$/);
  });

  it('accepts a form body, and the body wins over the query', async () => {
    const code = await codeFor(fake);
    const res = await postToken(
      fake,
      { grant_type: 'refresh_token', code: 'bogus' },
      { body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: fake.clientId }) },
    );
    expect(res.status).toBe(200);
  });

  it('accepts the client_id from HTTP Basic auth', async () => {
    const code = await codeFor(fake);
    const basic = Buffer.from(`${fake.clientId}:`).toString('base64');
    const res = await postToken(
      fake,
      {},
      {
        headers: { authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }),
      },
    );
    expect(res.status).toBe(200);
  });

  it('echoes the default scope when the authorize request named none', async () => {
    const code = await codeFor(fake, { scope: null });
    const res = await postToken(fake, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: fake.clientId });
    expect(res.body).toMatchObject({ scope: 'smartWrite' });
  });

  it('rejects a reused code with invalid_grant', async () => {
    const code = await codeFor(fake);
    const params = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: fake.clientId };
    expect((await postToken(fake, params)).status).toBe(200);
    expect(await postToken(fake, params)).toEqual({ status: 400, body: INVALID_GRANT });
  });

  it('rejects a redirect_uri mismatch with invalid_grant, and the code is then spent', async () => {
    const code = await codeFor(fake);
    const params = { grant_type: 'authorization_code', code, client_id: fake.clientId };
    expect(await postToken(fake, { ...params, redirect_uri: 'http://127.0.0.1:4999/other' })).toEqual({ status: 400, body: INVALID_GRANT });
    expect(await postToken(fake, { ...params, redirect_uri: REDIRECT_URI })).toEqual({ status: 400, body: INVALID_GRANT });
  });

  it('rejects a missing redirect_uri and an unknown code with invalid_grant', async () => {
    const code = await codeFor(fake);
    expect(await postToken(fake, { grant_type: 'authorization_code', code, client_id: fake.clientId })).toEqual({ status: 400, body: INVALID_GRANT });
    expect(
      await postToken(fake, { grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT_URI, client_id: fake.clientId }),
    ).toEqual({ status: 400, body: INVALID_GRANT });
  });

  it('expires codes after ten minutes', async () => {
    let now = Date.UTC(2025, 0, 1);
    const f = await startFake({ now: () => now });
    const fresh = await codeFor(f);
    const stale = await codeFor(f);
    now += 10 * 60 * 1000 - 1;
    const params = { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, client_id: f.clientId };
    expect((await postToken(f, { ...params, code: fresh })).status).toBe(200);
    now += 1;
    expect(await postToken(f, { ...params, code: stale })).toEqual({ status: 400, body: INVALID_GRANT });
  });

  it('answers an unknown or missing client with 401 invalid_client', async () => {
    const code = await codeFor(fake);
    const params = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
    expect(await postToken(fake, { ...params, client_id: 'other' })).toEqual({ status: 401, body: INVALID_CLIENT });
    expect(await postToken(fake, params)).toEqual({ status: 401, body: INVALID_CLIENT });
  });

  it('answers an unsupported or missing grant type', async () => {
    expect(await postToken(fake, { grant_type: 'password', client_id: fake.clientId })).toEqual({
      status: 400,
      body: {
        error: 'unsupported_grant_type',
        error_description: 'The authorization grant type is not supported by the authorization server.',
        error_uri: ERROR_URI,
      },
    });
    expect(await postToken(fake, { client_id: fake.clientId })).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'The request is malformed. Check parameters.', error_uri: ERROR_URI },
    });
    expect((await postToken(fake, { grant_type: 'authorization_code', client_id: fake.clientId })).status).toBe(400);
  });
});

describe('POST /token: refresh_token', () => {
  it('rotates tokens and supersedes the previous access token (code 14)', async () => {
    const first = await login();
    const res = await refresh(fake, first.refresh_token);
    expect(res.status).toBe(200);
    const second = res.body as TokenResponse;
    expect(second).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: 'smartRead,smartWrite' });
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(await get(fake, '/1/thermostat', first.access_token, { selection: REGISTERED })).toEqual({ status: 500, body: TOKEN_EXPIRED });
    expect((await get(fake, '/1/thermostat', second.access_token, { selection: REGISTERED })).status).toBe(200);
    expect(fake.refreshCount()).toBe(1);
  });

  it('accepts the refresh token in code= (§1.3)', async () => {
    const tokens = await login();
    expect((await refresh(fake, tokens.refresh_token, 'code')).status).toBe(200);
  });

  it('strict mode: a rotated refresh token is invalid_grant and counted as stale', async () => {
    const tokens = await login();
    const rotated = (await refresh(fake, tokens.refresh_token)).body as TokenResponse;
    expect(await refresh(fake, tokens.refresh_token)).toEqual({ status: 400, body: INVALID_GRANT });
    expect(fake.staleRefreshAttempts()).toBe(1);
    // The failed reuse did not harm the current token.
    expect((await refresh(fake, rotated.refresh_token)).status).toBe(200);
    expect(fake.refreshCount()).toBe(3);
    expect(fake.staleRefreshAttempts()).toBe(1);
  });

  it('lenient mode: an old refresh token keeps working but is still counted as stale', async () => {
    const f = await startFake({ refreshTokenReuse: 'lenient' });
    const tokens = await login(f);
    const second = (await refresh(f, tokens.refresh_token)).body as TokenResponse;
    expect(second.refresh_token).not.toBe(tokens.refresh_token);
    const third = await refresh(f, tokens.refresh_token);
    expect(third.status).toBe(200);
    expect(f.staleRefreshAttempts()).toBe(1);
    // Each refresh still supersedes the access tokens issued before it.
    expect((await get(f, '/1/thermostat', second.access_token, { selection: REGISTERED })).body).toEqual(TOKEN_EXPIRED);
  });

  it('rejects an unknown refresh token, a missing one, and a foreign client', async () => {
    const tokens = await login();
    expect(await refresh(fake, 'v1.unknown')).toEqual({ status: 400, body: INVALID_GRANT });
    expect((await postToken(fake, { grant_type: 'refresh_token', client_id: fake.clientId })).status).toBe(400);
    expect(await postToken(fake, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'x' })).toEqual({
      status: 401,
      body: INVALID_CLIENT,
    });
    expect(fake.staleRefreshAttempts()).toBe(0);
    expect(fake.refreshCount()).toBe(3);
  });

  it('honours accessTokenTtlS, in expires_in and in the API', async () => {
    let now = Date.UTC(2025, 0, 1);
    const f = await startFake({ accessTokenTtlS: 60, now: () => now });
    const tokens = await login(f);
    expect(tokens.expires_in).toBe(60);
    now += 59_999;
    expect((await get(f, '/1/thermostat', tokens.access_token, { selection: REGISTERED })).status).toBe(200);
    now += 1;
    expect(await get(f, '/1/thermostat', tokens.access_token, { selection: REGISTERED })).toEqual({ status: 500, body: TOKEN_EXPIRED });
  });
});

describe('POST /revoke (opt-in: revocationEndpoint)', () => {
  const revoke = (f: FakeEcobee, form: Record<string, string>) =>
    fetch(new URL('/revoke', f.url), { method: 'POST', body: new URLSearchParams(form) }).then(async (res) => ({ status: res.status, body: (await res.json()) as unknown }));

  it('off by default: 404, as ecobee documents no revocation endpoint', async () => {
    expect((await revoke(fake, { token: 'x', client_id: fake.clientId })).status).toBe(404);
  });

  it('revokes the grant (access code 16, refresh invalid_grant), records hint and known-ness, 200 for an unknown token', async () => {
    const f = await startFake({ revocationEndpoint: true });
    const tokens = await login(f);
    expect(await revoke(f, { token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: f.clientId })).toEqual({ status: 200, body: {} });
    expect(await revoke(f, { token: 'v1.never-issued', client_id: f.clientId })).toEqual({ status: 200, body: {} });
    expect(f.revocations).toEqual([{ tokenTypeHint: 'refresh_token', known: true }, { tokenTypeHint: undefined, known: false }]);
    expect(await get(f, '/1/thermostat', tokens.access_token, { selection: REGISTERED })).toEqual({ status: 500, body: DEAUTHORIZED });
    expect(await refresh(f, tokens.refresh_token)).toEqual({ status: 400, body: INVALID_GRANT });
  });

  it('a foreign client is 401 invalid_client and a missing token 400; neither is recorded nor revokes', async () => {
    const f = await startFake({ revocationEndpoint: true });
    const tokens = await login(f);
    expect(await revoke(f, { token: tokens.refresh_token, client_id: 'other' })).toEqual({ status: 401, body: INVALID_CLIENT });
    expect((await revoke(f, { client_id: f.clientId })).status).toBe(400);
    expect(f.revocations).toEqual([]);
    expect((await get(f, '/1/thermostat', tokens.access_token, { selection: REGISTERED })).status).toBe(200);
  });
});

describe('token hooks', () => {
  it('expireAccessTokens(): existing access tokens answer code 14; refresh fixes it', async () => {
    const tokens = await login();
    fake.expireAccessTokens();
    expect(await get(fake, '/1/thermostatSummary', tokens.access_token, { selection: REGISTERED })).toEqual({
      status: 500,
      body: TOKEN_EXPIRED,
    });
    const fresh = (await refresh(fake, tokens.refresh_token)).body as TokenResponse;
    expect((await get(fake, '/1/thermostatSummary', fresh.access_token, { selection: REGISTERED })).status).toBe(200);
  });

  it('deauthorize(): access tokens answer code 16, refresh tokens invalid_grant, a new login works', async () => {
    const tokens = await login();
    fake.deauthorize();
    expect(await get(fake, '/1/thermostat', tokens.access_token, { selection: REGISTERED })).toEqual({ status: 500, body: DEAUTHORIZED });
    expect(await refresh(fake, tokens.refresh_token)).toEqual({ status: 400, body: INVALID_GRANT });
    expect(fake.staleRefreshAttempts()).toBe(0);
    const again = await login();
    expect((await get(fake, '/1/thermostat', again.access_token, { selection: REGISTERED })).status).toBe(200);
  });

  it('issueTokens() gives working tokens without the browser flow', async () => {
    const tokens = fake.issueTokens();
    expect(tokens.scope).toBe('smartRead,smartWrite');
    expect((await get(fake, '/1/thermostat', tokens.access_token, { selection: REGISTERED })).status).toBe(200);
    expect((await refresh(fake, tokens.refresh_token)).status).toBe(200);
  });
});

describe('/1/* authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'not-a-token'],
  ])('answers %s with HTTP 500 + code 1', async (_label, token) => {
    expect(await get(fake, '/1/thermostat', token, { selection: REGISTERED })).toEqual({ status: 500, body: AUTH_FAILED });
    expect(await get(fake, '/1/thermostatSummary', token, { selection: REGISTERED })).toEqual({ status: 500, body: AUTH_FAILED });
  });

  it('checks auth before the request', async () => {
    expect(await get(fake, '/1/thermostat', undefined, '{nope')).toEqual({ status: 500, body: AUTH_FAILED });
  });
});

describe('GET /1/thermostat', () => {
  let token: string;
  beforeEach(() => {
    token = fake.issueTokens().access_token;
  });

  it('lists registered thermostats with the page object and no sub-objects by default', async () => {
    const res = await get(fake, '/1/thermostat', token, { selection: REGISTERED });
    expect(res.status).toBe(200);
    expect(res.body['page']).toEqual({ page: 1, totalPages: 1, pageSize: 3, total: 3 });
    expect(res.body['status']).toEqual({ code: 0, message: '' });
    const first = (res.body['thermostatList'] as Record<string, unknown>[])[0];
    expect(Object.keys(first ?? {})).toEqual([
      'identifier',
      'name',
      'thermostatRev',
      'isRegistered',
      'modelNumber',
      'brand',
      'features',
      'lastModified',
      'thermostatTime',
      'utcTime',
    ]);
    expect(first).toMatchObject({ identifier: ID1, name: 'Living Room', isRegistered: true, brand: 'ecobee' });
    expect(first?.['lastModified']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('includes sub-objects for true or "true" flags, via ?format=json&body= too', async () => {
    const selection = { ...REGISTERED, includeRuntime: true, includeSettings: 'true', includeEquipmentStatus: true, includeSensors: 'true' };
    const res = await get(fake, '/1/thermostat', token, { selection }, 'body');
    expect(res.status).toBe(200);
    const [first] = res.body['thermostatList'] as ListedThermostat[];
    expect(first).toMatchObject({
      runtime: { connected: true, actualTemperature: 711, actualHumidity: 42, desiredHeat: 690, desiredCool: 750, desiredFanMode: 'auto' },
      settings: { hvacMode: 'auto', useCelsius: false, heatRangeLow: 450, heatRangeHigh: 790, coolRangeLow: 650, coolRangeHigh: 920 },
      equipmentStatus: '',
      remoteSensors: [],
    });
    expect(first?.runtime?.runtimeRev).toMatch(/^\d{12}$/);
    const falsy = await list(fake, token, { ...REGISTERED, includeRuntime: false, includeSettings: 'false' });
    expect(falsy[0]?.runtime).toBeUndefined();
    expect(falsy[0]?.settings).toBeUndefined();
  });

  it('selects thermostats by CSV identifiers', async () => {
    const res = await get(fake, '/1/thermostat', token, { selection: only(ID2, ID1) });
    expect(res.body['page']).toEqual({ page: 1, totalPages: 1, pageSize: 2, total: 2 });
    expect((res.body['thermostatList'] as ListedThermostat[]).map((t) => t.identifier)).toEqual([ID1, ID2]);
  });

  it.each([
    ['an unknown identifier', { selection: only(ID1, '999') }, status(2, 'Not authorized.')],
    ['26 identifiers', { selection: only(...Array.from({ length: 26 }, (_, i) => String(i))) }, status(6, 'Too many thermostat in selection match criteria.')],
    ['selectionType managementSet', { selection: { selectionType: 'managementSet', selectionMatch: '/' } }, status(9, 'Invalid selection.')],
    ['a missing selectionType', { selection: { selectionMatch: '' } }, status(9, 'Invalid selection.')],
    ['an empty thermostats match', { selection: only() }, status(9, 'Invalid selection.')],
    ['a missing selection', { page: { page: 1 } }, status(5, 'Invalid request format.')],
    ['a JSON array', [1], status(5, 'Invalid request format.')],
    ['malformed JSON', '{"selection":', status(4, 'Serialization error.')],
    ['page 2', { selection: REGISTERED, page: { page: 2 } }, status(10, 'Invalid page.')],
  ])('answers %s with HTTP 500 and the status code', async (_label, request, expected) => {
    expect(await get(fake, '/1/thermostat', token, request)).toEqual({ status: 500, body: expected });
  });

  it('answers a missing json parameter with code 5', async () => {
    const res = await fetch(`${fake.url}/1/thermostat`, { headers: bearer(token) });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual(status(5, 'Invalid request format.'));
  });

  it('allows 25 identifiers', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => String(400 + i));
    const f = await startFake({ thermostats: ids.map((identifier) => ({ identifier, name: `T${identifier}` })) });
    const t = f.issueTokens().access_token;
    expect(await list(f, t, only(...ids))).toHaveLength(25);
  });
});

describe('POST /1/thermostat', () => {
  let token: string;
  beforeEach(() => {
    token = fake.issueTokens().access_token;
  });

  it('renames and changes hvacMode, bumping thermostatRev', async () => {
    const before = fake.thermostat(ID1);
    const res = await post(fake, token, { selection: only(ID1), thermostat: { name: 'Den', settings: { hvacMode: 'heat' } } });
    expect(res).toEqual({ status: 200, body: OK });
    const after = fake.thermostat(ID1);
    expect(after?.name).toBe('Den');
    expect(after?.settings.hvacMode).toBe('heat');
    expect(after?.thermostatRev).not.toBe(before?.thermostatRev);
    expect(after?.runtime.runtimeRev).toBe(before?.runtime.runtimeRev);
    expect(fake.thermostat(ID2)?.name).toBe('Upstairs');
  });

  it('accepts a URL-encoded JSON body (the docs example form)', async () => {
    const body = encodeURIComponent(JSON.stringify({ selection: only(ID2), thermostat: { name: 'Loft' } }));
    expect(await post(fake, token, body)).toEqual({ status: 200, body: OK });
    expect(fake.thermostat(ID2)?.name).toBe('Loft');
  });

  it('setHold sets the setpoints and bumps both revisions; resumeProgram restores the program', async () => {
    const before = fake.thermostat(ID1);
    expect(await post(fake, token, { selection: only(ID1), functions: [hold(680, 760, { fan: 'on' })] })).toEqual({ status: 200, body: OK });
    const held = fake.thermostat(ID1);
    expect(held?.runtime).toMatchObject({ desiredHeat: 680, desiredCool: 760, desiredFanMode: 'on' });
    expect(held?.thermostatRev).not.toBe(before?.thermostatRev);
    expect(held?.runtime.runtimeRev).not.toBe(before?.runtime.runtimeRev);

    const res = await post(fake, token, { selection: only(ID1), functions: [{ type: 'resumeProgram', params: { resumeAll: false } }] });
    expect(res).toEqual({ status: 200, body: OK });
    expect(fake.thermostat(ID1)?.runtime).toMatchObject({ desiredHeat: 690, desiredCool: 750, desiredFanMode: 'auto' });
    expect(fake.thermostat(ID1)?.thermostatRev).not.toBe(held?.thermostatRev);
  });

  it('resumeProgram returns to seeded setpoints', async () => {
    const f = await startFake({ thermostats: [{ identifier: '7', name: 'Seeded', desiredHeat: 650, desiredCool: 800 }] });
    const t = f.issueTokens().access_token;
    await post(f, t, { selection: only('7'), functions: [hold(700, 720)] });
    await post(f, t, { selection: only('7'), functions: [{ type: 'resumeProgram' }] });
    expect(f.thermostat('7')?.runtime).toMatchObject({ desiredHeat: 650, desiredCool: 800 });
  });

  it('applies functions in order to every selected thermostat', async () => {
    const res = await post(fake, token, { selection: REGISTERED, functions: [hold(700, 720), hold(660, 780)] });
    expect(res).toEqual({ status: 200, body: OK });
    for (const t of fake.thermostats()) expect(t.runtime).toMatchObject({ desiredHeat: 660, desiredCool: 780 });
  });

  it.each([
    ['a non-integer temperature', [hold(680.5, 760)], status(7, 'Validation error.')],
    ['a string temperature', [hold('680', 760)], status(7, 'Validation error.')],
    ['heat above cool', [hold(760, 700)], status(7, 'Validation error.')],
    ['heat out of range', [hold(800, 900)], status(7, 'Validation error.')],
    ['a bad holdType', [hold(680, 760, { holdType: 'forever' })], status(7, 'Validation error.')],
    ['holdHours without hours', [hold(680, 760, { holdType: 'holdHours' })], status(11, 'Function error.')],
    ['a missing coolHoldTemp', [{ type: 'setHold', params: { heatHoldTemp: 680 } }], status(11, 'Function error.')],
    ['setHold without params', [{ type: 'setHold' }], status(11, 'Function error.')],
    ['an unknown function', [{ type: 'sendMessage', params: { text: 'hi' } }], status(8, 'Invalid function.')],
    ['functions not an array', { type: 'resumeProgram' }, status(5, 'Invalid request format.')],
  ])('rejects %s and changes nothing', async (_label, functions, expected) => {
    const before = fake.thermostats();
    // A valid first function and a name change: both must be rolled back with the bad one.
    const request = { selection: REGISTERED, thermostat: { name: 'Changed' }, functions: Array.isArray(functions) ? [hold(700, 720), ...functions] : functions };
    expect(await post(fake, token, request)).toEqual({ status: 500, body: expected });
    expect(fake.thermostats().map((t) => [t.name, t.thermostatRev, t.runtime.runtimeRev])).toEqual(
      before.map((t) => [t.name, t.thermostatRev, t.runtime.runtimeRev]),
    );
  });

  it.each([
    ['a bad hvacMode', { selection: only(ID1), thermostat: { settings: { hvacMode: 'turbo' } } }, status(7, 'Validation error.')],
    ['a non-string name', { selection: only(ID1), thermostat: { name: 5 } }, status(7, 'Validation error.')],
    ['an unknown identifier', { selection: only('999'), thermostat: { name: 'x' } }, status(2, 'Not authorized.')],
    ['malformed JSON', '{"selection":', status(4, 'Serialization error.')],
    ['an empty body', '', status(5, 'Invalid request format.')],
  ])('rejects %s', async (_label, request, expected) => {
    expect(await post(fake, token, request)).toEqual({ status: 500, body: expected });
  });
});

describe('GET /1/thermostatSummary', () => {
  let token: string;
  beforeEach(() => {
    token = fake.issueTokens().access_token;
  });

  it('lists revisions as identifier:name:connected:thermostatRev:alertsRev:runtimeRev:intervalRev', async () => {
    const body = await summary(fake, token);
    expect(body.thermostatCount).toBe(3);
    expect(body.statusList).toBeUndefined();
    const t = fake.thermostat(ID1);
    expect(body.revisionList[0]).toBe(
      `${ID1}:Living Room:true:${t?.thermostatRev}:${t?.alertsRev}:${t?.runtime.runtimeRev}:${t?.intervalRev}`,
    );
    expect(body.revisionList.map((line) => line.split(':').length)).toEqual([7, 7, 7]);
  });

  it('adds statusList with includeEquipmentStatus, and accepts ?format=json&body=', async () => {
    fake.setRuntime(ID2, { equipmentStatus: 'compCool1,fan' });
    const res = await get(fake, '/1/thermostatSummary', token, { selection: { ...REGISTERED, includeEquipmentStatus: true } }, 'body');
    expect(res).toEqual({
      status: 200,
      body: {
        thermostatCount: 3,
        revisionList: expect.any(Array) as unknown,
        statusList: [`${ID1}:`, `${ID2}:compCool1,fan`, '311000000003:'],
        status: { code: 0, message: '' },
      },
    });
  });

  it('honours a thermostats selection and its errors', async () => {
    const body = await summary(fake, token, only(ID2));
    expect(body.thermostatCount).toBe(1);
    expect(body.revisionList[0]?.startsWith(`${ID2}:Upstairs:`)).toBe(true);
    expect(await get(fake, '/1/thermostatSummary', token, { selection: only('999') })).toEqual({ status: 500, body: status(2, 'Not authorized.') });
    expect(await get(fake, '/1/thermostatSummary', token, { selection: { selectionType: 'x' } })).toEqual({
      status: 500,
      body: status(9, 'Invalid selection.'),
    });
    expect(await get(fake, '/1/thermostatSummary', token, 'nope')).toEqual({ status: 500, body: status(4, 'Serialization error.') });
  });

  it('answers POST with code 12', async () => {
    const res = await fetch(`${fake.url}/1/thermostatSummary?format=json`, { method: 'POST', headers: bearer(token), body: '{}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual(status(12, 'Post not supported for request.'));
  });

  it('reflects device manipulation: rename → thermostatRev, setRuntime → runtimeRev, connected', async () => {
    const parse = (line: string | undefined) => {
      const [identifier, name, connected, thermostatRev, alertsRev, runtimeRev, intervalRev] = (line ?? '').split(':');
      return { identifier, name, connected, thermostatRev, alertsRev, runtimeRev, intervalRev };
    };
    const before = parse((await summary(fake, token)).revisionList[0]);

    fake.renameThermostat(ID1, 'Family Room');
    const renamed = parse((await summary(fake, token)).revisionList[0]);
    expect(renamed).toEqual({ ...before, name: 'Family Room', thermostatRev: renamed.thermostatRev });
    expect(renamed.thermostatRev).not.toBe(before.thermostatRev);

    fake.setRuntime(ID1, { actualTemperature: 700, connected: false });
    const reported = parse((await summary(fake, token)).revisionList[0]);
    expect(reported).toEqual({ ...renamed, connected: 'false', runtimeRev: reported.runtimeRev });
    expect(reported.runtimeRev).not.toBe(renamed.runtimeRev);
    expect(fake.thermostat(ID1)?.runtime.actualTemperature).toBe(700);
  });
});

describe('revisions', () => {
  it('are YYMMDDHHMMSS UTC and change on every bump within the same second', async () => {
    const at = Date.UTC(2025, 2, 4, 5, 6, 7);
    const f = await startFake({ now: () => at, thermostats: [{ identifier: '1', name: 'A' }] });
    const revs = [f.thermostat('1')?.thermostatRev ?? ''];
    expect(revs[0]).toMatch(/^2503040506\d\d$/);
    for (let i = 0; i < 5; i++) {
      f.renameThermostat('1', `A${i}`);
      revs.push(f.thermostat('1')?.thermostatRev ?? '');
    }
    expect(new Set(revs).size).toBe(6);
    expect(revs.map(Number)).toEqual([...revs.map(Number)].sort((a, b) => a - b));
  });

  it('renaming to the same name is not a change', () => {
    const before = fake.thermostat(ID1)?.thermostatRev;
    fake.renameThermostat(ID1, 'Living Room');
    expect(fake.thermostat(ID1)?.thermostatRev).toBe(before);
  });
});

describe('device manipulation', () => {
  it('adds and removes thermostats', async () => {
    const token = fake.issueTokens().access_token;
    fake.addThermostat({ identifier: '311000000004', name: 'Garage', equipmentStatus: 'heatPump,fan', connected: false });
    expect((await list(fake, token)).map((t) => t.identifier)).toEqual([ID1, ID2, '311000000003', '311000000004']);
    expect((await summary(fake, token)).revisionList[3]).toMatch(/^311000000004:Garage:false:/);
    fake.removeThermostat(ID2);
    expect((await list(fake, token)).map((t) => t.identifier)).toEqual([ID1, '311000000003', '311000000004']);
    expect(await get(fake, '/1/thermostat', token, { selection: only(ID2) })).toEqual({ status: 500, body: status(2, 'Not authorized.') });
  });

  it('returns deep copies', () => {
    const copy = fake.thermostat(ID1);
    if (!copy) throw new Error('missing');
    copy.name = 'Mutated';
    copy.runtime.desiredHeat = 1;
    expect(fake.thermostat(ID1)?.name).toBe('Living Room');
    expect(fake.thermostat(ID1)?.runtime.desiredHeat).toBe(690);
  });

  it('throws on unknown or duplicate identifiers', () => {
    expect(() => fake.renameThermostat('nope', 'x')).toThrow('unknown thermostat nope');
    expect(() => fake.setRuntime('nope', {})).toThrow('unknown thermostat nope');
    expect(() => fake.removeThermostat('nope')).toThrow('unknown thermostat nope');
    expect(() => fake.addThermostat({ identifier: ID1, name: 'dup' })).toThrow(`thermostat ${ID1} already exists`);
  });
});

describe('fault hooks', () => {
  let token: string;
  beforeEach(() => {
    token = fake.issueTokens().access_token;
  });

  it('status: default /1/* body is code 3, for `times` requests, then normal again', async () => {
    fake.failNext('thermostat', { kind: 'status', status: 500 }, 2);
    const processing = status(3, 'Processing error.');
    expect(await get(fake, '/1/thermostat', token, { selection: REGISTERED })).toEqual({ status: 500, body: processing });
    expect(await post(fake, token, { selection: only(ID1), thermostat: { name: 'X' } })).toEqual({ status: 500, body: processing });
    expect(fake.thermostat(ID1)?.name).toBe('Living Room'); // a faulted request is not processed
    expect((await get(fake, '/1/thermostat', token, { selection: REGISTERED })).status).toBe(200);
    // Other routes are unaffected.
    fake.failNext('thermostatSummary', { kind: 'status', status: 503 });
    expect((await get(fake, '/1/thermostat', token, { selection: REGISTERED })).status).toBe(200);
    expect(await get(fake, '/1/thermostatSummary', token, { selection: REGISTERED })).toEqual({ status: 503, body: processing });
  });

  it('status: default /token body is server_error; custom bodies are sent as given', async () => {
    const tokens = await login();
    fake.failNext('token', { kind: 'status', status: 502 });
    fake.failNext('token', { kind: 'status', status: 400, body: { error: 'invalid_grant' } });
    expect(await refresh(fake, tokens.refresh_token)).toEqual({ status: 502, body: { error: 'server_error' } });
    expect(await refresh(fake, tokens.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    // Faulted attempts count as refreshes but did not rotate anything.
    expect((await refresh(fake, tokens.refresh_token)).status).toBe(200);
    expect(fake.refreshCount()).toBe(3);
    expect(fake.staleRefreshAttempts()).toBe(0);
  });

  it('status on authorize: the page fails, then works', async () => {
    fake.failNext('authorize', { kind: 'status', status: 503 });
    const res = await fetch(authorizeUrl(fake));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'server_error' });
    expect(await fake.approve(authorizeUrl(fake))).toContain('code=');
  });

  it('malformed: 200 with a body that is not JSON', async () => {
    fake.failNext('thermostatSummary', { kind: 'malformed' });
    const res = await fetch(apiUrl(fake, '/1/thermostatSummary', { selection: REGISTERED }), { headers: bearer(token) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text) as unknown).toThrow();
  });

  it('reset: the request fails at the network level', async () => {
    fake.failNext('token', { kind: 'reset' });
    await expect(fetch(tokenUrl(fake, { grant_type: 'refresh_token', refresh_token: 'x', client_id: fake.clientId }), { method: 'POST' })).rejects.toThrow(
      'fetch failed',
    );
    expect((await refresh(fake, 'x')).status).toBe(400);
    expect(fake.refreshCount()).toBe(2);
  });

  it('hang: never answers until the client gives up', async () => {
    fake.failNext('thermostat', { kind: 'hang' });
    const started = Date.now();
    await expect(
      fetch(apiUrl(fake, '/1/thermostat', { selection: REGISTERED }), { headers: bearer(token), signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await get(fake, '/1/thermostat', token, { selection: REGISTERED })).status).toBe(200);
  });

  it('hang: stop() still closes promptly and the client sees a network error', async () => {
    const f = await startFake();
    f.failNext('thermostatSummary', { kind: 'hang' });
    const pending = fetch(apiUrl(f, '/1/thermostatSummary', { selection: REGISTERED }), { headers: bearer(f.issueTokens().access_token) });
    const outcome = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => f.calls.length === 1);
    const started = Date.now();
    await f.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await outcome).toBe('failed');
  });

  it('stop() does not wait for requests delayed by latency', async () => {
    const f = await startFake();
    f.setLatency(60_000);
    const outcome = fetch(apiUrl(f, '/1/thermostat', { selection: REGISTERED }), { headers: bearer(f.issueTokens().access_token) }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => f.calls.length === 1);
    const started = Date.now();
    await f.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await outcome).toBe('failed');
  });

  it('setLatency delays /1/* and /token, and maxConcurrentApiRequests counts overlapping /1/* requests', async () => {
    expect(fake.maxConcurrentApiRequests()).toBe(0);
    await get(fake, '/1/thermostat', token, { selection: REGISTERED });
    await get(fake, '/1/thermostatSummary', token, { selection: REGISTERED });
    expect(fake.maxConcurrentApiRequests()).toBe(1);

    fake.setLatency(150);
    const started = Date.now();
    const results = await Promise.all([
      get(fake, '/1/thermostat', token, { selection: REGISTERED }),
      get(fake, '/1/thermostatSummary', token, { selection: REGISTERED }),
      get(fake, '/1/thermostat', token, { selection: only(ID1) }),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(fake.maxConcurrentApiRequests()).toBe(3);

    const tokenStarted = Date.now();
    expect((await refresh(fake, 'v1.x')).status).toBe(400);
    expect(Date.now() - tokenStarted).toBeGreaterThanOrEqual(140);

    fake.setLatency(0);
    await get(fake, '/1/thermostat', token, { selection: REGISTERED });
    expect(fake.maxConcurrentApiRequests()).toBe(3);
  });

  it('counts hung requests as in flight', async () => {
    fake.failNext('thermostat', { kind: 'hang' }, 2);
    const controller = new AbortController();
    const hung = [1, 2].map(() =>
      fetch(apiUrl(fake, '/1/thermostat', { selection: REGISTERED }), { headers: bearer(token), signal: controller.signal }).catch(() => 'aborted'),
    );
    await waitFor(() => fake.calls.length === 2);
    expect((await get(fake, '/1/thermostatSummary', token, { selection: REGISTERED })).status).toBe(200);
    expect(fake.maxConcurrentApiRequests()).toBe(3);
    controller.abort();
    await Promise.all(hung);
  });
});

describe('calls', () => {
  it('records every request in order, with grant types and without secrets', async () => {
    const tokens = await login();
    await refresh(fake, tokens.refresh_token);
    await get(fake, '/1/thermostat', undefined, { selection: REGISTERED });
    await fetch(`${fake.url}/nowhere?x=1`);
    expect(fake.calls.map(({ method, path, grantType, authorization }) => ({ method, path, grantType, authorization }))).toEqual([
      { method: 'GET', path: '/authorize', grantType: undefined, authorization: 'absent' },
      { method: 'POST', path: '/authorize', grantType: undefined, authorization: 'absent' },
      { method: 'POST', path: '/token', grantType: 'authorization_code', authorization: 'absent' },
      { method: 'POST', path: '/token', grantType: 'refresh_token', authorization: 'absent' },
      { method: 'GET', path: '/1/thermostat', grantType: undefined, authorization: 'absent' },
      { method: 'GET', path: '/nowhere', grantType: undefined, authorization: 'absent' },
    ]);
    const logged = JSON.stringify(fake.calls);
    expect(logged).not.toContain(tokens.access_token);
    expect(logged).not.toContain(tokens.refresh_token);
    expect(fake.calls.every((c) => typeof c.at === 'number')).toBe(true);
  });

  it('marks bearer-authenticated API calls as authorization present', async () => {
    await get(fake, '/1/thermostat', fake.issueTokens().access_token, { selection: REGISTERED });
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({ method: 'GET', path: '/1/thermostat', at: expect.any(Number) as unknown, authorization: 'present' });
  });

  it('records grant types sent in a form body', async () => {
    await postToken(fake, {}, { body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: fake.clientId }) });
    expect(fake.calls[0]?.grantType).toBe('refresh_token');
    expect(fake.refreshCount()).toBe(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

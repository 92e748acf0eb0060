import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeAndExchange, bearer, consent, startWorld, token, type World } from './harness';

let w: World;
let clock: number;
beforeEach(async () => {
  clock = Date.now();
  w = await startWorld({ workers: false, now: () => clock });
});
afterEach(async () => {
  await w.close();
});

const LIVING = () => w.devices.get('dev-1') ?? '';
async function freshCode(): Promise<string> {
  const { location } = await consent(w, { devices: [LIVING()] });
  return location.searchParams.get('code') ?? '';
}
const exchange = (code: string, extra: Record<string, string> = {}) =>
  token(w, { grant_type: 'authorization_code', code, redirect_uri: w.sys.callbackUri, ...extra });

function expectError(result: { res: Response; json: Record<string, unknown> }, status: number, error: string) {
  expect(result.res.status).toBe(status);
  expect(result.json['error']).toBe(error);
  expect(typeof result.json['error_description']).toBe('string');
  expect(Object.keys(result.json).sort()).toEqual(['error', 'error_description']);
  expect(result.res.headers.get('cache-control')).toBe('no-store');
}

describe('POST /oauth/token errors (RFC 6749 §5.2)', () => {
  it('a JSON body => 400 invalid_request', async () => {
    const res = await fetch(`${w.host.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code' }),
    });
    expectError({ res, json: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request');
  });

  it('no client authentication => 401 invalid_client with a Basic challenge', async () => {
    const r = await token(w, { grant_type: 'authorization_code', code: 'x', redirect_uri: w.sys.callbackUri, client_id: w.client.clientId });
    expectError(r, 401, 'invalid_client');
    expect(r.res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it.each([
    ['wrong secret', (w: World) => ({ client_id: w.client.clientId, client_secret: 'nope' })],
    ['unknown client', () => ({ client_id: '00000000-0000-4000-8000-000000000000', client_secret: 'nope' })],
  ])('%s => 401 invalid_client', async (_n, creds) => {
    expectError(await token(w, { grant_type: 'authorization_code', code: 'x', redirect_uri: w.sys.callbackUri, ...creds(w) }), 401, 'invalid_client');
  });

  it('wrong Basic secret => 401 invalid_client', async () => {
    const auth = `Basic ${Buffer.from(`${w.client.clientId}:wrong`).toString('base64')}`;
    const r = await token(w, { grant_type: 'authorization_code', code: 'x', redirect_uri: w.sys.callbackUri, client_id: w.client.clientId }, { headers: { authorization: auth } });
    expectError(r, 401, 'invalid_client');
  });

  it('Basic and client_secret together => 400 invalid_request', async () => {
    const auth = `Basic ${Buffer.from(`${w.client.clientId}:${w.client.clientSecret}`).toString('base64')}`;
    const r = await token(w, { grant_type: 'authorization_code', code: 'x', redirect_uri: w.sys.callbackUri, client_id: w.client.clientId, client_secret: w.client.clientSecret }, { headers: { authorization: auth } });
    expectError(r, 400, 'invalid_request');
  });

  it.each([
    ['missing grant_type', {}, 'invalid_request'],
    ['grant_type=password', { grant_type: 'password', username: 'u', password: 'p' }, 'unsupported_grant_type'],
    ['grant_type=client_credentials', { grant_type: 'client_credentials' }, 'unsupported_grant_type'],
    ['missing code', { grant_type: 'authorization_code', redirect_uri: 'REDIRECT' }, 'invalid_request'],
    ['missing redirect_uri', { grant_type: 'authorization_code', code: 'abc' }, 'invalid_request'],
    ['missing refresh_token', { grant_type: 'refresh_token' }, 'invalid_request'],
    ['unknown code', { grant_type: 'authorization_code', code: 'abc', redirect_uri: 'REDIRECT' }, 'invalid_grant'],
    ['unknown refresh token', { grant_type: 'refresh_token', refresh_token: 'abc' }, 'invalid_grant'],
  ])('%s => 400 %s', async (_n, form, error) => {
    const fixed = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v === 'REDIRECT' ? w.sys.callbackUri : v]));
    expectError(await token(w, fixed), 400, error);
  });

  it('a repeated parameter => 400 invalid_request', async () => {
    const body = `grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=${w.client.clientId}&client_secret=${w.client.clientSecret}`;
    const res = await fetch(`${w.host.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expectError({ res, json: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request');
  });

  it('redirect_uri other than the authorization request => invalid_grant, and the code still works with the right one', async () => {
    const code = await freshCode();
    expectError(await exchange(code, { redirect_uri: `${w.sys.callbackUri}/other` }), 400, 'invalid_grant');
    expect((await exchange(code)).res.status).toBe(200);
  });

  it('a code issued to another client => invalid_grant', async () => {
    const code = await freshCode();
    const res = await w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'Other', redirectUris: [w.sys.callbackUri], scopes: ['app'] }) });
    const other = (await res.json()) as { clientId: string; clientSecret: string };
    expectError(await exchange(code, { client_id: other.clientId, client_secret: other.clientSecret }), 400, 'invalid_grant');
  });

  it('a code after its 10 minutes => invalid_grant', async () => {
    const code = await freshCode();
    clock += 600_000;
    expectError(await exchange(code), 400, 'invalid_grant');
  });

  it('a code used twice => invalid_grant, and the tokens issued from it are revoked', async () => {
    const code = await freshCode();
    const first = await exchange(code);
    expect(first.res.status).toBe(200);
    const access = String(first.json['access_token']);
    const refresh = String(first.json['refresh_token']);
    expect((await bearer(w, access)('/api/smartapps/endpoints')).status).toBe(200);

    expectError(await exchange(code), 400, 'invalid_grant');
    const after = await bearer(w, access)('/api/smartapps/endpoints');
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expectError(await token(w, { grant_type: 'refresh_token', refresh_token: refresh }), 400, 'invalid_grant');
  });

  it('a client registered without refresh_token => unauthorized_client', async () => {
    const res = await w.host.admin('/api/clients', {
      method: 'POST',
      body: JSON.stringify({ name: 'NoRefresh', redirectUris: [w.sys.callbackUri], scopes: ['app'], grantTypes: ['authorization_code'] }),
    });
    const c = (await res.json()) as { clientId: string; clientSecret: string };
    expectError(await token(w, { grant_type: 'refresh_token', refresh_token: 'x', client_id: c.clientId, client_secret: c.clientSecret }), 400, 'unauthorized_client');
  });

  it('refresh asking for more scope than granted => invalid_scope; a narrower scope => that scope', async () => {
    const res = await w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'Reader', redirectUris: [w.sys.callbackUri], scopes: ['r:devices:*'] }) });
    w.client = (await res.json()) as { clientId: string; clientSecret: string };
    const { tokens } = await authorizeAndExchange(w, [LIVING()], 'r:devices:*');
    expect(tokens.scope).toBe('r:devices:*');
    expectError(await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'app' }), 400, 'invalid_scope');
    const ok = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'r:devices:*' });
    expect(ok.res.status).toBe(200);
    expect(ok.json['scope']).toBe('r:devices:*');
  });

  it('a refresh token presented by another client => invalid_grant, and it still works for its own client', async () => {
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    const res = await w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'Other', redirectUris: [w.sys.callbackUri], scopes: ['app'] }) });
    const other = (await res.json()) as { clientId: string; clientSecret: string };
    expectError(await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: other.clientId, client_secret: other.clientSecret }), 400, 'invalid_grant');
    expect((await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).res.status).toBe(200);
  });

  it('a refresh token after 30 days => invalid_grant', async () => {
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    clock += 30 * 86_400_000;
    expectError(await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }), 400, 'invalid_grant');
  });
});

describe('bearer access tokens', () => {
  it('HTTP Basic client authentication => tokens', async () => {
    const code = await freshCode();
    const r = await token(w, { grant_type: 'authorization_code', code, redirect_uri: w.sys.callbackUri }, { basic: true });
    expect(r.res.status).toBe(200);
    expect(r.json['token_type']).toBe('bearer');
  });

  it('no token => 401 with a Bearer challenge; a made-up one => invalid_token', async () => {
    const none = await fetch(`${w.host.url}/api/smartapps/endpoints`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="smartapps"$/);
    const bogus = await bearer(w, 'made-up')('/api/smartapps/endpoints');
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(((await bogus.json()) as { error: string }).error).toBe('invalid_token');
    // The admin token is not an app token.
    expect((await bearer(w, 'test-admin-token-0123456789')('/api/smartapps/endpoints')).status).toBe(401);
  });

  it('an access token after expires_in => 401 invalid_token; the refresh token still gets a new one', async () => {
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    clock += tokens.expires_in * 1000;
    const expired = await bearer(w, tokens.access_token)('/api/smartapps/endpoints');
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const r = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(r.res.status).toBe(200);
    expect((await bearer(w, String(r.json['access_token']))('/api/smartapps/endpoints')).status).toBe(200);
  });

  it('a read-only token => 403 insufficient_scope on commands, 200 on reads', async () => {
    const res = await w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'Reader', redirectUris: [w.sys.callbackUri], scopes: ['r:devices:*'] }) });
    w.client = (await res.json()) as { clientId: string; clientSecret: string };
    const { tokens } = await authorizeAndExchange(w, [LIVING()], 'r:devices:*');
    const api = bearer(w, tokens.access_token);
    const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string }[];
    expect((await api(`${ep?.uri}/devices`)).status).toBe(200);
    const cmd = await api(`${ep?.uri}/devices/${LIVING()}/commands`, { method: 'POST', body: JSON.stringify({ command: 'resumeProgram' }) });
    expect(cmd.status).toBe(403);
    expect(cmd.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});

describe('admin API for users and clients', () => {
  it('POST /api/clients => validates redirect URIs and scopes; needs the admin token', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) => w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify(body), headers });
    expect((await post({ name: 'x', redirectUris: ['/relative'], scopes: ['app'] })).status).toBe(400);
    expect((await post({ name: 'x', redirectUris: ['https://e.com/cb#f'], scopes: ['app'] })).status).toBe(400);
    expect((await post({ name: 'x', redirectUris: ['https://e.com/cb'], scopes: ['admin'] })).status).toBe(400);
    expect((await post({ name: 'x', redirectUris: [], scopes: ['app'] })).status).toBe(400);
    const noAdmin = await fetch(`${w.host.url}/api/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noAdmin.status).toBe(401);
    const ok = await post({ name: 'x', redirectUris: ['https://e.com/cb'], scopes: ['app'] });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ name: 'x', redirectUris: ['https://e.com/cb'], scopes: ['r:devices:*', 'x:devices:*'] });
  });

  it('POST /api/users => 201 without the password; a taken username => 409; short password => 400', async () => {
    const post = (body: unknown) => w.host.admin('/api/users', { method: 'POST', body: JSON.stringify(body) });
    const res = await post({ username: 'Alice', password: 'long enough', locations: [{ id: 'l1', name: 'Flat' }] });
    expect(res.status).toBe(201);
    const body = JSON.stringify(await res.json());
    expect(body).not.toContain('long enough');
    expect(body).not.toContain('scrypt');
    expect((await post({ username: 'alice', password: 'long enough', locations: [] })).status).toBe(409);
    expect((await post({ username: 'bob', password: 'short', locations: [] })).status).toBe(400);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeAndExchange, authorizeUrl, bearer, consent, FormBrowser, startWorld, token, type Tokens, type World } from '../webservices/harness';

// Issue 14, item 11: the OAuth 2.0 Security BCP (RFC 9700) on our own authorization server.
// PKCE (RFC 7636) with S256 only, enforced at the token endpoint; public clients must use it;
// a refresh token presented after it was rotated revokes the whole grant.

let w: World;
beforeEach(async () => {
  w = await startWorld({ workers: false });
});
afterEach(async () => {
  await w.close();
});

const LIVING = () => w.devices.get('dev-1') ?? '';
const newVerifier = () => randomBytes(32).toString('base64url');
const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

async function codeFor(params: Record<string, string>): Promise<string> {
  const { location } = await consent(w, { devices: [LIVING()], url: authorizeUrl(w, params) });
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  return code ?? '';
}
const exchange = (code: string, extra: Record<string, string> = {}) =>
  token(w, { grant_type: 'authorization_code', code, redirect_uri: w.sys.callbackUri, ...extra });

function expectInvalidGrant(r: { res: Response; json: Record<string, unknown> }): void {
  expect(r.res.status).toBe(400);
  expect(r.json['error']).toBe('invalid_grant');
}

async function authorizeError(params: Record<string, string>): Promise<string | null> {
  const res = await new FormBrowser().get(authorizeUrl(w, params));
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(w.sys.callbackUri);
  expect(location.searchParams.get('state')).toBe('st-123');
  return location.searchParams.get('error');
}

describe('PKCE', () => {
  it('S256: a missing or wrong code_verifier => invalid_grant (the code is not spent); the right one => tokens', async () => {
    const verifier = newVerifier();
    const code = await codeFor({ code_challenge: challengeOf(verifier), code_challenge_method: 'S256' });
    expectInvalidGrant(await exchange(code));
    expectInvalidGrant(await exchange(code, { code_verifier: newVerifier() }));
    expectInvalidGrant(await exchange(code, { code_verifier: 'too-short' }));
    const ok = await exchange(code, { code_verifier: verifier });
    expect(ok.res.status).toBe(200);
    expect(typeof ok.json['access_token']).toBe('string');
  });

  it('code_challenge_method=plain, no method, or a malformed challenge => redirected with invalid_request', async () => {
    const challenge = challengeOf(newVerifier());
    expect(await authorizeError({ code_challenge: challenge, code_challenge_method: 'plain' })).toBe('invalid_request');
    expect(await authorizeError({ code_challenge: challenge })).toBe('invalid_request'); // the default method is plain
    expect(await authorizeError({ code_challenge: 'short', code_challenge_method: 'S256' })).toBe('invalid_request');
    expect(await authorizeError({ code_challenge_method: 'S256' })).toBe('invalid_request');
  });

  it('a code issued without a challenge, redeemed with a code_verifier => invalid_grant (no PKCE downgrade)', async () => {
    const code = await codeFor({});
    expectInvalidGrant(await exchange(code, { code_verifier: newVerifier() }));
    expect((await exchange(code)).res.status).toBe(200);
  });
});

describe('public clients (tokenEndpointAuthMethod "none")', () => {
  it('no secret is issued; PKCE is required at authorize; client_id alone at the token endpoint, with the verifier', async () => {
    const res = await w.host.admin('/api/clients', {
      method: 'POST',
      body: JSON.stringify({ name: 'Phone app', redirectUris: [w.sys.callbackUri], scopes: ['app'], tokenEndpointAuthMethod: 'none' }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created['clientSecret']).toBeUndefined();
    expect(created['tokenEndpointAuthMethod']).toBe('none');
    const clientId = String(created['clientId']);

    expect(await authorizeError({ client_id: clientId })).toBe('invalid_request');

    const verifier = newVerifier();
    const code = await codeFor({ client_id: clientId, code_challenge: challengeOf(verifier), code_challenge_method: 'S256' });
    const pub = { client_id: clientId };
    expectInvalidGrant(await exchange(code, pub));
    // A public client has no secret to present: one given is refused.
    const withSecret = await exchange(code, { ...pub, client_secret: 'anything', code_verifier: verifier });
    expect(withSecret.res.status).toBe(401);
    expect(withSecret.json['error']).toBe('invalid_client');
    const ok = await exchange(code, { ...pub, code_verifier: verifier });
    expect(ok.res.status).toBe(200);
    const tokens = ok.json as unknown as Tokens;
    const refreshed = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...pub });
    expect(refreshed.res.status).toBe(200);
  });

  it('registration: RFC 7591\'s token_endpoint_auth_method spelling works too; an unknown method => 400', async () => {
    const register = (extra: Record<string, unknown>) =>
      w.host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'App', redirectUris: [w.sys.callbackUri], scopes: ['app'], ...extra }) });
    const snake = await register({ token_endpoint_auth_method: 'none' });
    expect(snake.status).toBe(201);
    expect(await snake.json()).toMatchObject({ tokenEndpointAuthMethod: 'none' });
    expect((await register({ tokenEndpointAuthMethod: 'private_key_jwt' })).status).toBe(400);
    expect((await register({ tokenEndpointAuthMethod: 'none', token_endpoint_auth_method: 'client_secret_post' })).status).toBe(400);
    const confidential = (await (await register({})).json()) as Record<string, unknown>;
    expect(confidential).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: expect.any(String) as string });
  });

  it('a confidential client still needs its secret; client_id alone => invalid_client', async () => {
    const r = await token(w, { grant_type: 'refresh_token', refresh_token: 'x', client_id: w.client.clientId });
    expect(r.res.status).toBe(401);
    expect(r.json['error']).toBe('invalid_client');
  });
});

describe('refresh token reuse', () => {
  it('presenting a rotated refresh token => invalid_grant, and every token of the grant is revoked', async () => {
    const { tokens: first } = await authorizeAndExchange(w, [LIVING()]);
    const rotated = await token(w, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(rotated.res.status).toBe(200);
    const second = rotated.json as unknown as Tokens;
    expect((await bearer(w, second.access_token)('/api/smartapps/endpoints')).status).toBe(200);

    expectInvalidGrant(await token(w, { grant_type: 'refresh_token', refresh_token: first.refresh_token }));

    const after = await bearer(w, second.access_token)('/api/smartapps/endpoints');
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expectInvalidGrant(await token(w, { grant_type: 'refresh_token', refresh_token: second.refresh_token }));
  });

  it('20 concurrent refreshes with one token => exactly one pair issued, and the race (reuse) revokes it', async () => {
    const { tokens } = await authorizeAndExchange(w, [LIVING()]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })));
    const won = answers.filter((a) => a.res.status === 200);
    expect(won).toHaveLength(1);
    for (const lost of answers.filter((a) => a.res.status !== 200)) expectInvalidGrant(lost);
    const winner = won[0]?.json as unknown as Tokens;
    expect((await bearer(w, winner.access_token)('/api/smartapps/endpoints')).status).toBe(401);
    expectInvalidGrant(await token(w, { grant_type: 'refresh_token', refresh_token: winner.refresh_token }));
  });
});

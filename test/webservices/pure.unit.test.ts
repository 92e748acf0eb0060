import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkAuthorizeRequest, type ClientView } from '../../src/webservices/authorize-request';
import { checkCode, checkPkce, checkToken, type CodeRecord, type TokenRecord } from '../../src/webservices/grant-checks';
import { backoffMs, routeEvent } from '../../src/webservices/delivery-payloads';
import { retryAfterSeconds } from '../../src/webservices/attempt-limiter';
import { hashPassword, verifyPassword } from '../../src/webservices/password';
import { isValidRedirectUri, matchRedirectUri, redirectWith } from '../../src/webservices/redirect-uri';
import { isSubset, parseScope } from '../../src/webservices/scopes';
import { signBody, verifyBody } from '../../src/webservices/signature';
import { clientCredentials, parseTokenRequest, TokenError } from '../../src/webservices/token-request';
import type { Subscription } from '../../src/webservices/event-subscriptions';
import type { PlatformEvent } from '../../src/platform/event-log';

describe('parseScope', () => {
  it.each([
    ['r:devices:*', ['r:devices:*']],
    ['x:devices:* r:devices:*', ['r:devices:*', 'x:devices:*']],
    ['app', ['r:devices:*', 'x:devices:*']],
    ['app r:devices:*', ['r:devices:*', 'x:devices:*']],
  ])('%s => canonical %j', (raw, scopes) => {
    expect(parseScope(raw)).toEqual({ ok: true, scopes });
  });
  it.each(['', ' ', 'r:devices:* bogus', 'R:DEVICES:*', 'r:devices:*  x:devices:*', ' r:devices:*', 'r:devices:*\tx:devices:*'])(
    '%j => rejected',
    (raw) => {
      expect(parseScope(raw)).toEqual({ ok: false });
    },
  );
  it('isSubset => only when every requested scope is allowed', () => {
    expect(isSubset(['r:devices:*'], ['r:devices:*', 'x:devices:*'])).toBe(true);
    expect(isSubset(['x:devices:*'], ['r:devices:*'])).toBe(false);
  });
});

describe('redirect URIs', () => {
  it.each([
    ['https://example.com/cb', true],
    ['http://127.0.0.1:8080/cb?x=1', true],
    ['https://example.com/cb#frag', false],
    ['/relative/cb', false],
    ['javascript:alert(1)', false],
    ['ftp://example.com/cb', false],
    ['https://user:pw@example.com/cb', false],
    ['https://exa mple.com/cb', false],
  ])('isValidRedirectUri(%s) => %s', (uri, valid) => {
    expect(isValidRedirectUri(uri)).toBe(valid);
  });
  it('matchRedirectUri => exact string only (no prefix, no normalisation)', () => {
    const registered = ['https://example.com/cb'];
    expect(matchRedirectUri(registered, 'https://example.com/cb')).toBe(true);
    expect(matchRedirectUri(registered, 'https://example.com/cb/')).toBe(false);
    expect(matchRedirectUri(registered, 'https://example.com/cb?x=1')).toBe(false);
    expect(matchRedirectUri(registered, 'https://EXAMPLE.com/cb')).toBe(false);
    expect(matchRedirectUri(registered, 'https://example.com/cb/../cb')).toBe(false);
  });
  it('redirectWith => keeps the existing query, escapes values, skips undefined', () => {
    expect(redirectWith('https://e.com/cb?a=1', { code: 'c&d', state: undefined })).toBe('https://e.com/cb?a=1&code=c%26d');
  });
});

const client: ClientView = {
  clientId: 'c1',
  name: 'IFTTT-like',
  redirectUris: ['https://e.com/cb'],
  scopes: ['r:devices:*'],
  grantTypes: ['authorization_code', 'refresh_token'],
  tokenEndpointAuthMethod: 'client_secret_basic',
};
const lookup = (id: string) => (id === 'c1' ? client : undefined);
const good = { response_type: 'code', client_id: 'c1', redirect_uri: 'https://e.com/cb', scope: 'r:devices:*', state: 's1' };

describe('checkAuthorizeRequest', () => {
  it('a valid request => ok with canonical scopes and the state', () => {
    expect(checkAuthorizeRequest(good, lookup)).toEqual({
      kind: 'ok',
      request: { client, redirectUri: 'https://e.com/cb', scopes: ['r:devices:*'], state: 's1', codeChallenge: undefined },
    });
  });
  it('no scope => the client registered scopes', () => {
    const { scope: _s, ...rest } = good;
    const check = checkAuthorizeRequest(rest, lookup);
    expect(check.kind === 'ok' && check.request.scopes).toEqual(['r:devices:*']);
  });
  it.each([
    ['unknown client', { ...good, client_id: 'nope' }, 'unknown_client'],
    ['missing client', { ...good, client_id: undefined }, 'unknown_client'],
    ['redirect mismatch', { ...good, redirect_uri: 'https://e.com/cb/evil' }, 'unknown_client'],
    ['missing redirect', { ...good, redirect_uri: undefined }, 'unknown_client'],
    ['duplicated client_id', { ...good, client_id: ['c1', 'c1'] }, 'invalid_request'],
  ])('%s => an error page, never a redirect', (_name, query, code) => {
    expect(checkAuthorizeRequest(query, lookup)).toMatchObject({ kind: 'page', code });
  });
  it.each([
    ['missing response_type', { ...good, response_type: undefined }, 'invalid_request'],
    ['response_type=token', { ...good, response_type: 'token' }, 'unsupported_response_type'],
    ['unknown scope', { ...good, scope: 'admin' }, 'invalid_scope'],
    ['scope beyond the client', { ...good, scope: 'app' }, 'invalid_scope'],
    ['duplicated state', { ...good, state: ['a', 'b'] }, 'invalid_request'],
  ])('%s => redirected with %s', (_name, query, error) => {
    expect(checkAuthorizeRequest(query, lookup)).toMatchObject({ kind: 'redirect', redirectUri: 'https://e.com/cb', error });
  });
  it('client without the code grant => unauthorized_client', () => {
    const only = { ...client, grantTypes: ['refresh_token' as const] };
    expect(checkAuthorizeRequest(good, () => only)).toMatchObject({ kind: 'redirect', error: 'unauthorized_client' });
  });
});

describe('token request parsing', () => {
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err instanceof TokenError ? err.code : 'other';
    }
    return 'none';
  };
  it('Basic credentials => decoded (form-urlencoded inside, RFC 6749 §2.3.1)', () => {
    expect(clientCredentials(basic('a%3Ab', 's+1'), {})).toEqual({ clientId: 'a:b', clientSecret: 's 1', method: 'basic' });
  });
  it('form credentials => used', () => {
    expect(clientCredentials(undefined, { client_id: 'a', client_secret: 's' })).toMatchObject({ clientId: 'a', method: 'body' });
  });
  it('client_id alone => a public client naming itself (the token endpoint refuses it for a confidential one)', () => {
    expect(clientCredentials(undefined, { client_id: 'a' })).toEqual({ clientId: 'a', method: 'none' });
  });
  it.each([
    ['none', undefined, {}, 'invalid_client'],
    ['both methods', 'Basic YTpz', { client_secret: 's' }, 'invalid_request'],
    ['malformed Basic', 'Basic !!!', {}, 'invalid_client'],
    ['repeated client_id', undefined, { client_id: ['a', 'b'], client_secret: 's' }, 'invalid_request'],
  ])('%s => %s', (_n, header, form, expected) => {
    expect(code(() => clientCredentials(header, form))).toBe(expected);
  });
  it.each([
    [{}, 'invalid_request'],
    [{ grant_type: 'password' }, 'unsupported_grant_type'],
    [{ grant_type: 'authorization_code', redirect_uri: 'x' }, 'invalid_request'],
    [{ grant_type: 'authorization_code', code: 'c' }, 'invalid_request'],
    [{ grant_type: 'refresh_token' }, 'invalid_request'],
    [{ grant_type: ['refresh_token', 'refresh_token'], refresh_token: 'r' }, 'invalid_request'],
  ])('%j => %s', (form, expected) => {
    expect(code(() => parseTokenRequest(form))).toBe(expected);
  });
  it('invalid_client => 401, everything else 400', () => {
    expect(new TokenError('invalid_client', 'x').status).toBe(401);
    expect(new TokenError('invalid_grant', 'x').status).toBe(400);
  });
});

describe('checkPkce (S256)', () => {
  // RFC 7636 appendix B's example.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  it.each([
    ['the right verifier', challenge, verifier, { ok: true }],
    ['no challenge, no verifier', undefined, undefined, { ok: true }],
    ['a challenge and no verifier', challenge, undefined, { ok: false, reason: 'missing_verifier' }],
    ['another verifier', challenge, `${verifier.slice(0, -1)}5`, { ok: false, reason: 'wrong_verifier' }],
    ['the challenge as verifier (plain)', challenge, challenge, { ok: false, reason: 'wrong_verifier' }],
    ['a verifier too short', challenge, 'abc', { ok: false, reason: 'wrong_verifier' }],
    ['a verifier without a challenge (downgrade)', undefined, verifier, { ok: false, reason: 'unexpected_verifier' }],
  ])('%s', (_n, c, v, expected) => {
    expect(checkPkce(c, v)).toEqual(expected);
  });
});

describe('checkCode / checkToken', () => {
  const rec: CodeRecord = { clientId: 'c1', appId: 'a', redirectUri: 'https://e.com/cb', scopes: ['r:devices:*'], grantId: 'g', expiresAt: 1000, codeChallenge: undefined, usedAt: undefined };
  const input = { clientId: 'c1', redirectUri: 'https://e.com/cb', now: 999 };
  it.each([
    ['fresh', rec, input, { ok: true }],
    ['used before (checked first)', { ...rec, usedAt: 5 }, { ...input, now: 5000 }, { ok: false, reason: 'reused' }],
    ['expired at the limit', rec, { ...input, now: 1000 }, { ok: false, reason: 'expired' }],
    ['other client', rec, { ...input, clientId: 'c2' }, { ok: false, reason: 'wrong_client' }],
    ['other redirect', rec, { ...input, redirectUri: 'https://e.com/cb2' }, { ok: false, reason: 'redirect_mismatch' }],
  ])('%s', (_n, record, args, expected) => {
    expect(checkCode(record, args)).toEqual(expected);
  });
  const token: TokenRecord = { kind: 'refresh', clientId: 'c1', appId: 'a', grantId: 'g', scopes: [], expiresAt: 1000 };
  it('checkToken => kind, expiry and client', () => {
    expect(checkToken(token, { kind: 'refresh', now: 1, clientId: 'c1' })).toEqual({ ok: true });
    expect(checkToken(token, { kind: 'access', now: 1 })).toEqual({ ok: false, reason: 'wrong_kind' });
    expect(checkToken(token, { kind: 'refresh', now: 1000 })).toEqual({ ok: false, reason: 'expired' });
    expect(checkToken(token, { kind: 'refresh', now: 1, clientId: 'c2' })).toEqual({ ok: false, reason: 'wrong_client' });
  });
});

describe('passwords and signatures', () => {
  it('hashPassword => verifies the password only, salted', async () => {
    const a = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toContain('correct');
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(a);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
  it('signBody => HMAC-SHA256 hex; verifyBody rejects a changed body or secret', () => {
    const sig = signBody('k', '{"a":1}');
    expect(sig).toBe(`sha256=${createHmac('sha256', 'k').update('{"a":1}').digest('hex')}`);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyBody('k', '{"a":1}', sig)).toBe(true);
    expect(verifyBody('k', '{"a":2}', sig)).toBe(false);
    expect(verifyBody('j', '{"a":1}', sig)).toBe(false);
    expect(verifyBody('k', '{"a":1}', undefined)).toBe(false);
  });
});

describe('routing and limits', () => {
  const sub = (over: Partial<Subscription>): Subscription => ({
    id: 's1',
    appId: 'a1',
    targetUrl: 'http://t',
    events: ['device.stateChanged'],
    status: 'confirmed',
    createdAt: '',
    confirmedAt: undefined,
    ...over,
  });
  const event: PlatformEvent = { id: '1-0', cursor: '1-0', type: 'device.stateChanged', installationId: 'i', deviceId: 'd1', at: 'now', data: { changed: {} } };
  it('routeEvent => only confirmed subscriptions of apps granted the device, for subscribed types', () => {
    const routed = routeEvent(event, [
      { id: 'a1', locationId: 'l', grantedDeviceIds: ['d1'], subscriptions: [sub({}), sub({ id: 's2', status: 'pending' }), sub({ id: 's3', events: ['device.removed'] })] },
      { id: 'a2', locationId: 'l', grantedDeviceIds: ['d2'], subscriptions: [sub({ id: 's4', appId: 'a2' })] },
    ]);
    expect(routed.map((r) => r.subscriptionId)).toEqual(['s1']);
    expect(JSON.parse(routed[0]?.body ?? '')).toEqual({
      lifecycle: 'EVENT',
      eventData: { appId: 'a1', subscriptionId: 's1', events: [{ eventId: '1-0', eventType: 'device.stateChanged', deviceId: 'd1', locationId: 'l', at: 'now', data: { changed: {} } }] },
    });
  });
  it('routeEvent => installation events are never routed', () => {
    expect(routeEvent({ ...event, type: 'installation.linked', deviceId: undefined }, [])).toEqual([]);
  });
  it('backoffMs => doubles per retry', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(100, n))).toEqual([100, 200, 400, 800]);
  });
  it('retryAfterSeconds => whole seconds, rounded up, never 0', () => {
    expect([1, 999, 1000, 1001, 899_500].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 900]);
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  dumpCalls,
  handleAuthorize,
  handleRevoke,
  handleToken,
  TokenLedger,
  createSignInPages,
  type AuthorizeFlow,
  type Reply,
  type TokenEndpointOptions,
} from '../../src/connectors/fake-cloud';

let clock = 1_000_000;
const now = () => clock;
const ledger = (rotation: boolean | 'lenient' = true) => new TokenLedger({ accessTokenTtlS: 60, rotation, now });
const verifier = 'v'.repeat(50);
const challenge = createHash('sha256').update(verifier).digest('base64url');

function post(opts: TokenEndpointOptions, params: Record<string, string>, auth?: string): { status: number; body: Record<string, unknown> } {
  const reply = handleToken(opts, {
    url: new URL('http://fake/oauth2/token'),
    form: new URLSearchParams(params),
    headers: auth ? { authorization: auth } : {},
  });
  if (reply.kind !== 'json') throw new Error('expected JSON');
  return { status: reply.status, body: reply.body as Record<string, unknown> };
}
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('TokenLedger', () => {
  it('code => tokens once; a second use, an expired code or another redirect_uri => refused', () => {
    const l = ledger();
    const code = l.createCode({ subject: 'u', redirectUri: 'https://cb', scope: ['a'] });
    expect(l.exchangeCode(code, 'https://cb', undefined).ok).toBe(true);
    expect(l.exchangeCode(code, 'https://cb', undefined)).toEqual({ ok: false, refusal: 'unknown' });
    expect(l.exchangeCode(l.createCode({ subject: 'u', redirectUri: 'https://cb', scope: [] }), 'https://other', undefined)).toEqual({ ok: false, refusal: 'redirect_mismatch' });
    const late = l.createCode({ subject: 'u', redirectUri: 'https://cb', scope: [] });
    clock += 600_001;
    expect(l.exchangeCode(late, 'https://cb', undefined)).toEqual({ ok: false, refusal: 'expired' });
  });

  it('PKCE: a code issued for a challenge needs its verifier', () => {
    const l = ledger();
    const code = () => l.createCode({ subject: 'u', redirectUri: 'https://cb', scope: [], codeChallenge: challenge });
    expect(l.exchangeCode(code(), 'https://cb', undefined)).toEqual({ ok: false, refusal: 'pkce_failed' });
    expect(l.exchangeCode(code(), 'https://cb', 'w'.repeat(50))).toEqual({ ok: false, refusal: 'pkce_failed' });
    expect(l.exchangeCode(code(), 'https://cb', verifier).ok).toBe(true);
  });

  it('rotation on: a refresh retires the old refresh token (a second use counts as stale) and the old access token', () => {
    const l = ledger(true);
    const first = l.issueForTest('u');
    const next = l.refresh(first.refreshToken);
    if (!next.ok) throw new Error('refresh failed');
    expect(next.tokens.refreshToken).not.toBe(first.refreshToken);
    expect(l.checkAccess(first.accessToken)).toEqual({ ok: false, reason: 'rotated' });
    expect(l.refresh(first.refreshToken)).toEqual({ ok: false, refusal: 'stale' });
    expect(l.staleRefreshAttempts()).toBe(1);
    expect(l.checkAccess(next.tokens.accessToken).ok).toBe(true);
  });

  it("rotation 'lenient': a new refresh token each time, the old one still works but each reuse counts as stale; old access tokens retire", () => {
    const l = ledger('lenient');
    const first = l.issueForTest('u');
    const second = l.refresh(first.refreshToken);
    if (!second.ok) throw new Error('refresh failed');
    expect(second.tokens.refreshToken).not.toBe(first.refreshToken);
    expect(l.checkAccess(first.accessToken)).toEqual({ ok: false, reason: 'rotated' });
    expect(l.staleRefreshAttempts()).toBe(0);
    const third = l.refresh(first.refreshToken);
    expect(third.ok).toBe(true);
    expect(l.staleRefreshAttempts()).toBe(1);
    expect(l.checkAccess(second.tokens.accessToken)).toEqual({ ok: false, reason: 'rotated' });
    expect(l.refresh(second.tokens.refreshToken).ok).toBe(true);
    expect(l.staleRefreshAttempts()).toBe(1);
    l.deauthorize();
    expect(l.refresh(first.refreshToken)).toEqual({ ok: false, refusal: 'revoked' });
  });

  it('mint gets the kind, the subject and the grant\'s scope', () => {
    const minted: string[] = [];
    const l = new TokenLedger({ accessTokenTtlS: 60, rotation: true, now, mint: (kind, subject, scope) => `${kind}:${subject}:${scope.join('+')}:${minted.push(kind)}` });
    const tokens = l.issueForTest('u', ['a', 'b']);
    expect(tokens.accessToken).toBe('access:u:a+b:1');
    expect(tokens.refreshToken).toBe('refresh:u:a+b:2');
    expect(l.createCode({ subject: 'v', redirectUri: 'https://cb', scope: ['c'] })).toBe('code:v:c:3');
  });

  it('rotation off: the same refresh token again; expiry, expireAccessTokens, deauthorize and revoke', () => {
    const l = ledger(false);
    const first = l.issueForTest('u');
    const next = l.refresh(first.refreshToken);
    expect(next.ok && next.tokens.refreshToken).toBe(first.refreshToken);
    expect(l.refresh(first.refreshToken).ok).toBe(true);
    const fresh = l.issueForTest('u');
    clock += 61_000;
    expect(l.checkAccess(fresh.accessToken)).toEqual({ ok: false, reason: 'expired' });
    const other = l.issueForTest('v');
    l.expireAccessTokens();
    expect(l.checkAccess(other.accessToken)).toEqual({ ok: false, reason: 'expired' });
    expect(l.revoke(other.refreshToken)).toBe(true);
    expect(l.refresh(other.refreshToken)).toEqual({ ok: false, refusal: 'revoked' });
    expect(l.revoke('never-issued')).toBe(false);
    l.deauthorize();
    expect(l.liveGrants()).toBe(0);
    expect(l.checkAccess(undefined)).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('handleToken', () => {
  const base = (over: Partial<TokenEndpointOptions> = {}): TokenEndpointOptions => ({ ledger: ledger(), clientId: 'id', clientSecret: 'secret', clientAuth: 'either', ...over });

  it('client auth: body, Basic or either; a wrong secret or the wrong place => invalid_client 401', () => {
    const refresh = (opts: TokenEndpointOptions) => ({ grant_type: 'refresh_token', refresh_token: opts.ledger.issueForTest('u').refreshToken });
    const b = base({ clientAuth: 'basic' });
    expect(post(b, refresh(b), basic('id', 'secret')).status).toBe(200);
    expect(post(b, { ...refresh(b), client_id: 'id', client_secret: 'secret' }).status).toBe(401);
    const f = base({ clientAuth: 'body' });
    expect(post(f, { ...refresh(f), client_id: 'id', client_secret: 'secret' }).status).toBe(200);
    expect(post(f, refresh(f), basic('id', 'secret')).status).toBe(401);
    const e = base();
    expect(post(e, { ...refresh(e), client_id: 'id', client_secret: 'nope' })).toEqual({ status: 401, body: { error: 'invalid_client' } });
    expect(post(e, refresh(e), basic('id', 'secret')).status).toBe(200);
  });

  it('RFC 6749 bodies by default; the cloud\'s token body and refusal bodies as data', () => {
    const opts = base({
      tokenBody: (t) => ({ access_token: t.accessToken, expires_in: String(t.expiresInS) }),
      refusals: { invalid_grant: { status: 400, body: { code: 400, message: 'Invalid Refresh Token' } } },
    });
    const ok = post(opts, { grant_type: 'refresh_token', refresh_token: opts.ledger.issueForTest('u').refreshToken, client_id: 'id', client_secret: 'secret' });
    expect(ok.body['expires_in']).toBe('60');
    expect(post(opts, { grant_type: 'refresh_token', refresh_token: 'unknown', client_id: 'id', client_secret: 'secret' })).toEqual({ status: 400, body: { code: 400, message: 'Invalid Refresh Token' } });
    expect(post(base(), { grant_type: 'password', client_id: 'id', client_secret: 'secret' }).body).toEqual({ error: 'unsupported_grant_type' });
    expect(post(base(), { client_id: 'id', client_secret: 'secret' }).body).toEqual({ error: 'invalid_request' });
    const d = base();
    const def = post(d, { grant_type: 'refresh_token', refresh_token: d.ledger.issueForTest('u', ['a', 'b']).refreshToken, client_id: 'id', client_secret: 'secret' }).body;
    expect(def).toMatchObject({ token_type: 'Bearer', expires_in: 60, scope: 'a b' });
  });

  it("pkce 'required': a code exchange without a verifier is refused before the code is looked at", () => {
    const opts = base({ pkce: 'required' });
    const code = opts.ledger.createCode({ subject: 'u', redirectUri: 'https://cb', scope: [] });
    const form = { grant_type: 'authorization_code', code, redirect_uri: 'https://cb', client_id: 'id', client_secret: 'secret' };
    expect(post(opts, form).body).toEqual({ error: 'invalid_request' });
    expect(post(opts, { ...form, code_verifier: verifier }).status).toBe(200);
  });

  it('revocation (RFC 7009): 200 for known and unknown tokens; the grant is gone', () => {
    const opts = base();
    const tokens = opts.ledger.issueForTest('u');
    const revoke = (token: string) =>
      handleRevoke(opts, { url: new URL('http://fake/revoke'), form: new URLSearchParams({ token, client_id: 'id', client_secret: 'secret' }), headers: {} });
    expect(revoke(tokens.refreshToken)).toMatchObject({ kind: 'json', status: 200 });
    expect(revoke('unknown')).toMatchObject({ kind: 'json', status: 200 });
    expect(opts.ledger.checkAccess(tokens.accessToken)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('revocation tells onRevoked the hint and whether the token was known, never the token; a refused request is not reported', () => {
    const seen: unknown[] = [];
    const opts = base({ onRevoked: (r) => seen.push(r) });
    const tokens = opts.ledger.issueForTest('u');
    const revoke = (form: Record<string, string>) => handleRevoke(opts, { url: new URL('http://fake/revoke'), form: new URLSearchParams(form), headers: {} });
    expect(revoke({ token: tokens.refreshToken, token_type_hint: 'refresh_token', client_id: 'id', client_secret: 'secret' })).toMatchObject({ status: 200 });
    expect(revoke({ token: 'unknown', client_id: 'id', client_secret: 'secret' })).toMatchObject({ status: 200 });
    expect(revoke({ token: tokens.accessToken, client_id: 'id', client_secret: 'wrong' })).toMatchObject({ status: 401 });
    expect(revoke({ client_id: 'id', client_secret: 'secret' })).toMatchObject({ status: 400 });
    expect(seen).toEqual([{ tokenTypeHint: 'refresh_token', known: true }, { tokenTypeHint: undefined, known: false }]);
  });
});

describe('the authorize page with PKCE', () => {
  const flow = (pkce?: 'required'): AuthorizeFlow => ({
    clientId: 'id',
    pages: createSignInPages({
      brand: { name: 'Acme', wordmark: ['Ac', 'me'], colors: { page: '#fff', ink: '#000', accent: '#f00', panel: '#eee', chip: '#ddd', line: '#ccc', muted: '#999' } },
      heading: 'Sign in',
      action: '/authorize',
      scopeSeparator: ' ',
      scopeLabels: {},
      declineLabel: 'No',
    }),
    defaultScope: '',
    responseType: 'required',
    signIn: () => true,
    issueCode: (request) => `code-for-${request.codeChallenge ?? 'none'}`,
    declined: { error: 'access_denied' },
    ...(pkce ? { pkce } : {}),
  });
  const submit = (f: AuthorizeFlow, extra: Record<string, string>): Reply =>
    handleAuthorize(f, {
      method: 'POST',
      url: new URL('http://fake/authorize'),
      form: new URLSearchParams({ response_type: 'code', client_id: 'id', redirect_uri: 'https://cb', decision: 'accept', username: 'u', password: 'p', ...extra }),
    });

  it('the challenge reaches issueCode; a non-S256 challenge or a missing one where required => an error page, no redirect', () => {
    const ok = submit(flow(), { code_challenge: challenge, code_challenge_method: 'S256' });
    expect(ok.kind === 'redirect' && new URL(ok.location).searchParams.get('code')).toBe(`code-for-${challenge}`);
    expect(submit(flow(), { code_challenge: challenge, code_challenge_method: 'plain' })).toMatchObject({ kind: 'html', status: 400 });
    expect(submit(flow('required'), {})).toMatchObject({ kind: 'html', status: 400 });
    expect(submit(flow(), {}).kind).toBe('redirect');
  });
});

describe('dumpCalls', () => {
  it('one line per request with times, query names, grant type, status or fault; never a value', () => {
    const text = dumpCalls([
      { method: 'POST', path: '/oauth2/token', at: 100, grantType: 'refresh_token', authorization: 'present', status: 400 },
      { method: 'GET', path: '/v2/locations', at: 130, query: ['apikey'], authorization: 'present', fault: 'hang' },
    ]);
    expect(text).toBe(
      '  1. +0ms POST /oauth2/token grant_type=refresh_token auth:present => 400\n  2. +30ms GET /v2/locations ?apikey auth:present => fault hang',
    );
    expect(dumpCalls([])).toBe('  (no requests)');
  });
});

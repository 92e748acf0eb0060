import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpKeys } from '../helpers/host';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { CookieBrowser } from '../helpers/browser';

let host: NeutralHost;
let clock: number;

beforeEach(async () => {
  clock = Date.now();
  host = await startNeutralHost({ now: () => clock });
});
afterEach(async () => {
  await host.close();
});

interface Created {
  id: string;
  accessToken: string;
  setupUrl: string;
  status: string;
}

async function install(locationId = 'home-1'): Promise<Created> {
  const res = await host.admin('/api/installations', {
    method: 'POST',
    body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}

function initializeUrl(inst: Created, token = inst.accessToken): string {
  return `${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(token)}`;
}

async function stateKeys(): Promise<string[]> {
  return host.inspect.keys(`${host.config.keyPrefix}:oauth-state:*`);
}

async function statusOf(id: string): Promise<string> {
  const res = await host.admin(`/api/installations/${id}`);
  return ((await res.json()) as { status: string }).status;
}

/** initialize → the fake's login → the callback URL the provider would send the browser to. */
async function toCallback(browser: CookieBrowser, inst: Created, decision: 'accept' | 'decline' = 'accept'): Promise<string> {
  const init = await browser.get(initializeUrl(inst));
  expect(init.status).toBe(302);
  return host.fake.approve(init.headers.get('location') ?? '', decision);
}

describe('GET /connectors/:connector/oauth/initialize', () => {
  it('initialize => 401 page and no state without the access token', async () => {
    const inst = await install();
    const res = await fetch(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/initialize?appId=${inst.id}`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await stateKeys()).toEqual([]);
  });

  it('initialize => 401 page and no state with a wrong access token', async () => {
    const inst = await install();
    const res = await fetch(initializeUrl(inst, `${inst.accessToken.slice(0, -2)}xx`), { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(inst.accessToken);
    expect(await stateKeys()).toEqual([]);
  });

  it('initialize => 401 for an unknown installation id, same as a wrong token', async () => {
    const inst = await install();
    const res = await fetch(initializeUrl({ ...inst, id: '00000000-0000-4000-8000-000000000000' }), { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(await stateKeys()).toEqual([]);
  });

  it('initialize => 404 page for an unknown connector', async () => {
    const inst = await install();
    const res = await fetch(
      `${host.url}/connectors/nope/oauth/initialize?appId=${inst.id}&access_token=${inst.accessToken}`,
      { redirect: 'manual' },
    );
    expect(res.status).toBe(404);
    expect(await stateKeys()).toEqual([]);
  });

  it('initialize => 302 to the provider with code flow parameters and a fresh v4 state', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const res = await browser.get(initializeUrl(inst));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${host.fake.url}/oauth2/authorize`);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('client_id')).toBe(host.fake.clientId);
    expect(location.searchParams.get('redirect_uri')).toBe(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/callback`);
    expect(location.searchParams.get('scope')).toBe('read write');
    expect(location.searchParams.get('state')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await stateKeys()).toHaveLength(1);
    const ttl = await host.inspect.pttl((await stateKeys())[0] ?? '');
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    const cookie = res.headers.getSetCookie().join(';').toLowerCase();
    expect(cookie).toContain('httponly');
    expect(cookie).toContain('samesite=lax');
    expect(cookie).toContain(`path=/connectors/${NEUTRAL_CONNECTOR}/oauth`);
  });

  it('initialize twice => two different states', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const a = new URL((await browser.get(initializeUrl(inst))).headers.get('location') ?? '');
    const b = new URL((await browser.get(initializeUrl(inst))).headers.get('location') ?? '');
    expect(a.searchParams.get('state')).not.toBe(b.searchParams.get('state'));
  });
});

describe('GET /connectors/:connector/oauth/callback', () => {
  it('callback => linked, tokens stored encrypted, no plaintext token anywhere in Redis', async () => {
    const inst = await install();
    expect(inst.status).toBe('pending');
    const browser = new CookieBrowser();
    const setup = await browser.get(inst.setupUrl);
    expect(setup.status).toBe(200);
    expect(await setup.text()).toContain('Connect to Acme');

    const callback = await toCallback(browser, inst);
    const res = await browser.get(callback);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('Your account is now connected');
    expect(body).toContain(`/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${inst.id}`);
    expect(await statusOf(inst.id)).toBe('linked');

    const stored = await host.services.tokens.get(inst.id);
    expect(stored?.tokens.accessToken).toMatch(/.{20,}/);
    expect(stored?.tokens.refreshToken).toMatch(/.{20,}/);
    expect(stored?.tokens.expiresAt).toBeGreaterThan(clock + 3_500_000);
    expect(stored?.tokens.expiresAt).toBeLessThanOrEqual(clock + 3_600_000); // acme's expires_in

    const secrets = [stored?.tokens.accessToken ?? 'x', stored?.tokens.refreshToken ?? 'x', inst.accessToken];
    for (const [key, value] of await dumpKeys(host)) {
      for (const secret of secrets) expect(`${key} ${value}`).not.toContain(secret);
    }
    expect(await stateKeys()).toEqual([]);

    const after = await browser.get(inst.setupUrl);
    expect(await after.text()).toContain('Connected');
  });

  it('callback replayed => 400 page, tokens unchanged, no second code exchange', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = await toCallback(browser, inst);
    expect((await browser.get(callback)).status).toBe(200);
    const before = await host.services.tokens.get(inst.id);
    const tokenCalls = host.fake.calls.filter((c) => c.path === '/oauth2/token').length;

    const replay = await browser.get(callback);
    expect(replay.status).toBe(400);
    // Truthful: the link made by the first callback stands (issue 17.7).
    const page = await replay.text();
    expect(page).toContain('Nothing was changed');
    expect(page).toContain('<span class="status ok">Connected</span>');
    expect(page).toContain('This sign-in link was already used.');
    expect(page).not.toContain('Not connected');
    expect(page).toContain(`/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${inst.id}`);
    expect((await host.services.tokens.get(inst.id))?.sealed).toBe(before?.sealed);
    expect(host.fake.calls.filter((c) => c.path === '/oauth2/token').length).toBe(tokenCalls);
  });

  it('callback with an unknown state => 400 page, installation unchanged', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = new URL(await toCallback(browser, inst));
    callback.searchParams.set('state', '11111111-1111-4111-8111-111111111111');
    const res = await browser.get(callback.toString());
    expect(res.status).toBe(400);
    expect(await statusOf(inst.id)).toBe('pending');
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });

  it('callback with a malformed or missing state => 400 page', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = new URL(await toCallback(browser, inst));
    callback.searchParams.set('state', 'not-a-uuid');
    expect((await browser.get(callback.toString())).status).toBe(400);
    callback.searchParams.delete('state');
    expect((await browser.get(callback.toString())).status).toBe(400);
    expect(await statusOf(inst.id)).toBe('pending');
  });

  it('callback after the state expired => 400 page, installation unchanged', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = await toCallback(browser, inst);
    clock += 10 * 60 * 1000 + 1;
    const res = await browser.get(callback);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('expired');
    expect(await statusOf(inst.id)).toBe('pending');
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });

  it('callback with a state issued for another connector => 400 page', async () => {
    const inst = await install();
    const state = '22222222-2222-4222-8222-222222222222';
    const browser = new CookieBrowser();
    await browser.get(initializeUrl(inst)); // gets the browser its nonce cookie
    const { hashToken } = await import('../../src/runtime/secrets/crypto');
    await host.services.states.save(state, {
      installationId: inst.id,
      connector: 'netatmo',
      browserHash: hashToken(browser.cookie('sm_oauth') ?? ''),
      codeVerifier: undefined,
      setupToken: undefined,
      createdAt: clock,
      expiresAt: clock + 600_000,
    });
    const res = await browser.get(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/callback?code=abc&state=${state}`);
    expect(res.status).toBe(400);
    expect(await statusOf(inst.id)).toBe('pending');
  });

  it('callback in a different browser than the one that started => 400 page', async () => {
    const inst = await install();
    const callback = await toCallback(new CookieBrowser(), inst);
    const res = await new CookieBrowser().get(callback);
    expect(res.status).toBe(400);
    expect(await statusOf(inst.id)).toBe('pending');
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });

  it('callback without a code => 400 page', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = new URL(await toCallback(browser, inst));
    callback.searchParams.delete('code');
    expect((await browser.get(callback.toString())).status).toBe(400);
    expect(await statusOf(inst.id)).toBe('pending');
  });

  it('callback with error=access_denied after the user declined => 400 page', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = await toCallback(browser, inst, 'decline');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const res = await browser.get(callback);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('denied');
    expect(await statusOf(inst.id)).toBe('pending');
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });

  it('callback when the token endpoint answers 500 => 400 page, nothing stored', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = await toCallback(browser, inst);
    host.fake.failNext('token', { kind: 'status', status: 500 });
    const res = await browser.get(callback);
    expect(res.status).toBe(400);
    expect(await statusOf(inst.id)).toBe('pending');
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });

  it('callback when the token endpoint returns malformed JSON => 400 page, nothing stored', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = await toCallback(browser, inst);
    host.fake.failNext('token', { kind: 'malformed' });
    expect((await browser.get(callback)).status).toBe(400);
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });

  it('callback with a code the provider rejects => 400 page, nothing stored', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = new URL(await toCallback(browser, inst));
    callback.searchParams.set('code', 'forged-code');
    expect((await browser.get(callback.toString())).status).toBe(400);
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });

  it('re-linking a linked installation => still linked with the new tokens', async () => {
    const inst = await install();
    const browser = new CookieBrowser();
    expect((await browser.get(await toCallback(browser, inst))).status).toBe(200);
    const first = await host.services.tokens.get(inst.id);
    expect((await browser.get(await toCallback(browser, inst))).status).toBe(200);
    const second = await host.services.tokens.get(inst.id);
    expect(second?.tokens.accessToken).not.toBe(first?.tokens.accessToken);
    expect(await statusOf(inst.id)).toBe('linked');
  });
});

describe('callback against a token endpoint that hangs', () => {
  it('callback => 400 page after the outbound timeout, nothing stored', async () => {
    await host.close();
    host = await startNeutralHost({ now: () => clock, env: { HTTP_TIMEOUT_MS: '300' } });
    const inst = await install();
    const browser = new CookieBrowser();
    const callback = await toCallback(browser, inst);
    host.fake.failNext('token', { kind: 'hang' });
    const res = await browser.get(callback);
    expect(res.status).toBe(400);
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
  });
});

describe('GET /connectors/:connector/setup', () => {
  it('setup => 401 page with a wrong token', async () => {
    const inst = await install();
    const res = await fetch(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${inst.id}&access_token=wrong`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('text/html');
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_SECRET_LIMITS, DEFAULT_LOGIN_LIMITS, OPERATOR_LOGIN_LIMITS } from '../../src/webservices/login-limiter';
import { ADMIN_TOKEN, operatorLogin } from '../helpers/host';
import { authorizeUrl, FormBrowser, hiddenFieldsOf, startWorld, token, type World } from '../webservices/harness';

// Issue 14, item 2: the limiters used to check, then verify, then count, so a burst of parallel
// guesses was verified in full. A slot is now reserved (one Redis script) before the password or
// secret is verified: whatever the burst, at most `limit` guesses are checked.
// Each test gets its own host (counters are per key prefix): they all guess from 127.0.0.1.

let w: World;
beforeEach(async () => {
  w = await startWorld({ workers: false });
});
afterEach(async () => {
  await w.close();
});

function tally(statuses: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of statuses) out.set(s, (out.get(s) ?? 0) + 1);
  return out;
}

function expectRetryAfter(res: Response, windowS: number): void {
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(windowS);
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('parallel guesses are checked at most `limit` times', () => {
  it('sign-in form: 100 parallel wrong passwords + the right one => at most 5 passwords verified, the rest 429 with Retry-After', async () => {
    const { perAccount, windowS } = DEFAULT_LOGIN_LIMITS;
    const browser = new FormBrowser();
    const fields = hiddenFieldsOf(await (await browser.get(authorizeUrl(w))).text());
    const before = w.host.services.webServices.users.passwordVerifications;

    const guesses = Array.from({ length: 100 }, (_, i) => `wrong-${i}`);
    guesses.splice(37, 0, w.user.password);
    const answers = await Promise.all(
      guesses.map((password) => browser.post(`${w.host.url}/oauth/authorize/login`, { ...fields, username: w.user.username, password })),
    );
    const counts = tally(answers.map((r) => r.status));
    const verified = w.host.services.webServices.users.passwordVerifications - before;

    expect([...counts.keys()].every((s) => s === 401 || s === 429 || s === 303)).toBe(true);
    // Every verification was answered 401 (wrong) or 303 (right); every other guess was refused unchecked.
    expect(verified).toBe((counts.get(401) ?? 0) + (counts.get(303) ?? 0));
    expect(counts.get(401) ?? 0).toBeLessThanOrEqual(perAccount);
    // A success gives its own slot back (it is not a failure), so the right password may be one more.
    expect(verified).toBeLessThanOrEqual(perAccount + (counts.get(303) ?? 0));
    expect(counts.get(429)).toBeGreaterThanOrEqual(100 - perAccount);
    const limited = answers.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    if (limited) {
      expectRetryAfter(limited, windowS);
      expect(limited.headers.get('content-type')).toMatch(/text\/html/);
      expect(await limited.text()).toContain('Too many failed sign-in attempts');
    }
    console.info(`sign-in burst: ${verified} passwords verified for 101 guesses; statuses ${JSON.stringify(Object.fromEntries(counts))}`);

    // The account is now locked for this window, right password or not.
    if ((counts.get(401) ?? 0) === perAccount) {
      const fresh = new FormBrowser();
      const again = hiddenFieldsOf(await (await fresh.get(authorizeUrl(w))).text());
      const locked = await fresh.post(`${w.host.url}/oauth/authorize/login`, { ...again, username: w.user.username, password: w.user.password });
      expect(locked.status).toBe(429);
    }
  }, 60_000);

  it('sign-in form, per address: 100 parallel guesses at 100 different usernames => at most 50 passwords verified', async () => {
    const { perAddress } = DEFAULT_LOGIN_LIMITS;
    const browser = new FormBrowser();
    const fields = hiddenFieldsOf(await (await browser.get(authorizeUrl(w))).text());
    const before = w.host.services.webServices.users.passwordVerifications;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        browser.post(`${w.host.url}/oauth/authorize/login`, { ...fields, username: `nobody-${i}`, password: 'guess' }),
      ),
    );
    const counts = tally(answers.map((r) => r.status));
    const verified = w.host.services.webServices.users.passwordVerifications - before;
    expect(counts.get(401) ?? 0).toBeLessThanOrEqual(perAddress);
    expect(verified).toBe(counts.get(401) ?? 0);
    expect(counts.get(429)).toBeGreaterThanOrEqual(100 - perAddress);
    console.info(`per-address burst: ${verified} passwords verified for 100 guesses`);
  }, 90_000); // up to 50 scrypt runs on a shared machine

  it('app revocation (Basic): 30 parallel wrong passwords => at most 5 verified; then 429 JSON with Retry-After, even with the right password', async () => {
    const { perAccount, windowS } = DEFAULT_LOGIN_LIMITS;
    const username = `victim-${Math.random().toString(36).slice(2, 8)}`;
    const created = await w.host.admin('/api/users', { method: 'POST', body: JSON.stringify({ username, password: 'the-right-password', locations: [] }) });
    expect(created.status).toBe(201);
    const del = (password: string) =>
      fetch(`${w.host.url}/api/app-installations/00000000-0000-4000-8000-000000000000`, {
        method: 'DELETE',
        headers: { authorization: basic(username, password), accept: 'application/json' },
      });
    const before = w.host.services.webServices.users.passwordVerifications;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => del(`wrong-${i}`)));
    const counts = tally(answers.map((r) => r.status));
    const verified = w.host.services.webServices.users.passwordVerifications - before;
    expect(counts.get(401) ?? 0).toBeLessThanOrEqual(perAccount);
    expect(verified).toBe(counts.get(401) ?? 0);

    const limited = await del('the-right-password');
    expect(limited.status).toBe(429);
    expectRetryAfter(limited, windowS);
    expect(limited.headers.get('content-type')).toMatch(/application\/json/);
    expect(await limited.json()).toMatchObject({ error: 'too_many_attempts', message: expect.any(String) as string });
  });

  it('token endpoint: 100 parallel wrong client secrets => at most the per-client limit verified; then 429 with Retry-After', async () => {
    const { perAccount, windowS } = CLIENT_SECRET_LIMITS;
    const clients = w.host.services.webServices.clients;
    const before = clients.secretVerifications;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        token(w, { grant_type: 'refresh_token', refresh_token: 'x', client_id: w.client.clientId, client_secret: `wrong-${i}` }),
      ),
    );
    const counts = tally(answers.map((a) => a.res.status));
    const verified = clients.secretVerifications - before;
    expect(counts.get(401) ?? 0).toBeLessThanOrEqual(perAccount);
    expect(verified).toBe(counts.get(401) ?? 0);
    expect(counts.get(429)).toBeGreaterThanOrEqual(100 - perAccount);

    // The right secret, now: refused unchecked while the client's window lasts.
    const limited = await token(w, { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(limited.res.status).toBe(429);
    expectRetryAfter(limited.res, windowS);
    expect(limited.json['error']).toBe('too_many_attempts');
    expect(typeof limited.json['error_description']).toBe('string');
  });

  it('operator login: 100 parallel wrong tokens => at most 20 checked; then 429 even for the admin token', async () => {
    const { perAddress, windowS } = OPERATOR_LOGIN_LIMITS;
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => operatorLogin(w.host.url, `wrong-token-${i}`)));
    const counts = tally(answers.map((r) => r.status));
    expect(counts.get(401) ?? 0).toBeLessThanOrEqual(perAddress);
    expect(counts.get(429)).toBeGreaterThanOrEqual(100 - perAddress);
    const blocked = await operatorLogin(w.host.url, ADMIN_TOKEN);
    expect(blocked.status).toBe(429);
    expectRetryAfter(blocked, windowS);
  });
});

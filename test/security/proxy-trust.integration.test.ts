import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, operatorLogin } from '../helpers/host';
import { startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

// Issue 14.5: X-Forwarded-* are believed only from configured proxy hops (TRUST_PROXY), and
// cookies are Secure whenever the public URL is https.

let host: NeutralHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

/** A wrong operator token, from the address `forwardedFor` claims. */
function guess(url: string, forwardedFor: string): Promise<Response> {
  return fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': forwardedFor },
    body: new URLSearchParams({ token: 'not-the-admin-token' }).toString(),
  });
}

describe('client address', () => {
  it('without TRUST_PROXY a new X-Forwarded-For on every guess does not dodge the per-address limit, https or not', async () => {
    // An https public URL used to switch X-Forwarded-* trust on (the reported bypass).
    host = await startNeutralHost({ env: { PUBLIC_URL: 'https://sm.example.test' } });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await guess(host.url, `203.0.113.${i}`)).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
  });

  it('with TRUST_PROXY=1 the address the proxy saw (the last hop) is the client', async () => {
    host = await startNeutralHost({ env: { TRUST_PROXY: '1' } });
    // A client-written first entry is ignored: only the entry the trusted proxy appended counts.
    for (let i = 0; i < 20; i++) expect((await guess(host.url, `198.51.100.${i}, 203.0.113.7`)).status).toBe(401);
    expect((await guess(host.url, '198.51.100.99, 203.0.113.7')).status).toBe(429);
    // Another client behind the same proxy is counted apart.
    expect((await guess(host.url, '203.0.113.8')).status).toBe(401);
  });
});

describe('Secure cookies', () => {
  const cookieOf = (res: Response) => res.headers.get('set-cookie') ?? '';

  it('an https public URL marks cookies Secure even though the hop from the proxy is plain http', async () => {
    host = await startNeutralHost({ env: { PUBLIC_URL: 'https://sm.example.test' } });
    const res = await operatorLogin(host.url, ADMIN_TOKEN);
    expect(res.status).toBe(303);
    expect(cookieOf(res)).toMatch(/;\s*secure/i);
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('an http public URL: X-Forwarded-Proto from an untrusted caller changes nothing', async () => {
    host = await startNeutralHost();
    const res = await fetch(`${host.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    });
    expect(res.status).toBe(303);
    expect(cookieOf(res)).not.toMatch(/;\s*secure/i);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});

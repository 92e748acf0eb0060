import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_SESSION_COOKIE } from '../../src/operator/session';
import { OPERATOR_LOGIN_LIMITS } from '../../src/webservices/login-limiter';
import { ADMIN_TOKEN, operatorLogin } from '../helpers/host';
import { keyNames } from '../helpers/key-names';
import { startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

// Its own host: the test blocks 127.0.0.1 from the operator form, which would upset other tests.
let host: NeutralHost;
beforeAll(async () => {
  host = await startNeutralHost();
});
afterAll(async () => {
  await host.close();
});

const login = (token: string) => operatorLogin(host.url, token);

it('operator login: after the allowed failures from one address => 429 page, even for the right token; no session issued', async () => {
  const allowed = OPERATOR_LOGIN_LIMITS.perAddress;
  for (let i = 0; i < allowed; i++) {
    const res = await login(`wrong-token-${i}`);
    expect(res.status).toBe(401);
    await res.text();
  }
  const blocked = await login(ADMIN_TOKEN);
  expect(blocked.status).toBe(429);
  // Until the address's window (started by its first failure) ends.
  const retryAfter = Number(blocked.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(OPERATOR_LOGIN_LIMITS.windowS);
  expect(blocked.headers.get('content-type')).toMatch(/text\/html/);
  expect(await blocked.text()).toContain('Too many failed sign-ins');
  expect(blocked.headers.getSetCookie().some((c) => c.startsWith(`${ADMIN_SESSION_COOKIE}=`))).toBe(false);
  // The bearer token (API and dashboard) is not behind this form and keeps working.
  const api = await fetch(`${host.url}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'application/json' } });
  expect(api.status).toBe(200);
});

it('end-user sign-in counts are separate from the operator form', async () => {
  const keys = await host.services.redis.keys(`${keyNames(host.services.keys).ws.loginFailures('', '').split(':login-failures:')[0]}:login-failures:*`);
  expect(keys.length).toBeGreaterThan(0);
  expect(keys.every((k) => k.includes(':login-failures:operator-'))).toBe(true);
});

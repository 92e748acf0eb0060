import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';
import { inParallel } from '../helpers/faults';
import { startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { FormBrowser, hiddenFieldsOf } from '../webservices/harness';

// Issue 14, item 4: every GET /oauth/authorize with valid client parameters used to write a
// ~1.5 KB session to Redis for ten minutes, before anyone had signed in. The pending request now
// travels in the sign-in form, sealed (AES-GCM) and time-limited: Redis is written only once a
// user has signed in.
//
// Its own redis-server, so INFO memory measures this host alone (other test files share the
// suite's server).

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let host: NeutralHost;
let clock = Date.now();
let clientId = '';
const CALLBACK = 'http://127.0.0.1:9/cb';

beforeAll(async () => {
  redis = await startPrivateRedis();
  host = await startNeutralHost({ env: { REDIS_URL: redis.url }, now: () => clock });
  const res = await host.admin('/api/clients', { method: 'POST', body: JSON.stringify({ name: 'Filler', redirectUris: [CALLBACK], scopes: ['app'] }) });
  expect(res.status).toBe(201);
  clientId = ((await res.json()) as { clientId: string }).clientId;
}, 60_000);
afterAll(async () => {
  await host.close();
  await redis.stop();
});

const authorizeUrl = (state: string) =>
  `${host.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, scope: 'app', state }).toString()}`;

async function usedMemory(): Promise<number> {
  const info = await host.inspect.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

describe('GET /oauth/authorize writes nothing to Redis before sign-in', () => {
  it('2,000 unauthenticated authorize requests => no new key, and used_memory does not grow with them', async () => {
    // Warm up (connections, scripts, lazily built buffers) before measuring.
    for (let i = 0; i < 20; i++) expect((await fetch(authorizeUrl(`warm-${i}`))).status).toBe(200);
    const keysBefore = await host.inspect.dbsize();
    const memoryBefore = await usedMemory();

    const N = 2_000;
    await inParallel(
      Array.from({ length: N }, (_, i) => i),
      16,
      async (i) => {
        const res = await fetch(authorizeUrl(`s-${i}`), { headers: { accept: 'text/html' } });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      },
    );

    const keysAfter = await host.inspect.dbsize();
    const memoryAfter = await usedMemory();
    const growth = memoryAfter - memoryBefore;
    console.info(`authorize fill: ${N} requests, keys ${keysBefore} -> ${keysAfter}, used_memory ${memoryBefore} -> ${memoryAfter} (${growth} bytes)`);
    expect(keysAfter).toBe(keysBefore);
    // 2,000 sessions of ~1.5 KB were ~3 MB; allow far less than one session per request.
    expect(growth).toBeLessThan(256 * 1024);
  }, 120_000);

  it('the sealed request: tampered => 400, expired => 400, another browser\'s => 403, and none of them is verified', async () => {
    const verifications = () => host.services.webServices.users.passwordVerifications;
    const alice = new FormBrowser();
    const fields = hiddenFieldsOf(await (await alice.get(authorizeUrl('t'))).text());
    expect(Object.keys(fields)).toEqual(['request']);
    const sealed = fields['request'] ?? '';
    const login = (browser: FormBrowser, request: string) =>
      browser.post(`${host.url}/oauth/authorize/login`, { request, username: 'nobody', password: 'guess' });
    const before = verifications();

    // One character changed anywhere in the ciphertext fails authentication.
    const i = Math.floor(sealed.length / 2);
    const tampered = `${sealed.slice(0, i)}${sealed[i] === 'A' ? 'B' : 'A'}${sealed.slice(i + 1)}`;
    expect((await login(alice, tampered)).status).toBe(400);
    expect((await login(alice, '')).status).toBe(400);
    // Bound to the browser that opened the page (login CSRF): someone else's form is refused.
    const mallory = new FormBrowser();
    await mallory.get(authorizeUrl('m'));
    expect((await login(mallory, sealed)).status).toBe(403);
    expect((await login(new FormBrowser(), sealed)).status).toBe(403);
    expect(verifications()).toBe(before);

    // Within its lifetime it is good (a wrong password: 401, the form again)…
    const wrong = await login(alice, sealed);
    expect(wrong.status).toBe(401);
    expect(hiddenFieldsOf(await wrong.text())['request']).toBeTruthy();
    // …and after it, refused before any password is checked.
    clock += host.config.stateTtlS * 1000 + 1000;
    const expired = await login(alice, sealed);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toMatch(/expired/);
    expect(verifications()).toBe(before + 1);
  });
});

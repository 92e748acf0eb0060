import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { ROTATION_OVERLAP_MS } from '../../src/ingest/callback-token';
import { netatmoSetpoint } from '../helpers/faults';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { keyNames } from '../helpers/key-names';

/**
 * Two hosts behind one load balancer: same Redis, same key prefix, each with its own callback-token
 * cache. Revoking a callback URL through one (uninstall, or the end of a rotation's overlap) must
 * make it answer 401 on both at once, not when a cache entry happens to expire.
 */

let netatmo: FakeNetatmo;
let host1: HostCore;
let host2: HostCore;
/** Added to the real clock of both hosts: lets a test jump past the rotation overlap. */
let skewMs = 0;

beforeEach(async () => {
  skewMs = 0;
  netatmo = await startNetatmoKitFake();
  const shared = { KEY_PREFIX: `test-${randomUUID()}`, SECRET_KEY: randomBytes(32).toString('hex') };
  const now = () => Date.now() + skewMs;
  host1 = await startHostCore({ fakes: { netatmo }, env: shared, now });
  host2 = await startHostCore({ fakes: { netatmo }, env: shared, now });
});
afterEach(async () => {
  await host2.close().catch(() => undefined);
  await host1.close().catch(() => undefined);
  await netatmo.stop();
});

/** The same callback URL, sent to the given host instead of the one it names. */
function post(host: HostCore, callbackUrl: string, temperature = 20): Promise<Response> {
  const url = new URL(callbackUrl);
  const home = netatmo.homes()[0];
  const room = home?.rooms[0];
  if (!home || !room) throw new Error('no home');
  const { body, signature } = netatmoSetpoint(netatmo.clientSecret, home.id, room.id, temperature);
  return fetch(`${host.url}${url.pathname}${url.search}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-netatmo-secret': signature },
  });
}

/** Callbacks until the host has the installation cached (its subscription may still be starting). */
async function warm(host: HostCore, callbackUrl: string, id: string): Promise<void> {
  await eventually(async () => {
    expect((await post(host, callbackUrl)).status).toBe(200);
    return host.services.callbackTokens.holds(id);
  }, 'the callback token to be cached');
}

async function linkedCallback(): Promise<{ id: string; callback: string }> {
  const inst = await link({ ...host1, fake: netatmo }, undefined, 'netatmo');
  const callback = await eventually(async () => netatmo.webhookUrl(), 'the netatmo webhook registration');
  return { id: inst.id, callback };
}

it('uninstall through host 1 => the very next callback on host 2 is 401, though host 2 had just accepted it', async () => {
  const { id, callback } = await linkedCallback();
  await warm(host1, callback, id);
  await warm(host2, callback, id);

  expect((await host1.admin(`/api/installations/${id}`, { method: 'DELETE' })).status).toBe(204);
  // Host 1 forgot at once (it made the change); host 2 when the invalidation message arrives.
  expect(host1.services.callbackTokens.holds(id)).toBe(false);
  const answered = performance.now();
  await eventually(async () => !host2.services.callbackTokens.holds(id), "host 2's cache to drop the installation", 5_000);
  // eslint-disable-next-line no-console
  console.info(`callback revocation: host 2 dropped the entry ${(performance.now() - answered).toFixed(1)} ms after the uninstall answered`);

  expect((await post(host2, callback)).status).toBe(401);
  expect((await post(host1, callback)).status).toBe(401);
});

it('rotation: the old URL works on both hosts during the overlap, and is 401 on both the moment it ends', async () => {
  const { id, callback: old } = await linkedCallback();
  await warm(host1, old, id);
  await warm(host2, old, id);

  expect((await host1.admin(`/api/installations/${id}/webhooks/rotate`, { method: 'POST' })).status).toBe(200);
  const fresh = await eventually(async () => (netatmo.webhookUrl() !== old ? netatmo.webhookUrl() : undefined), 'the new callback URL');
  await eventually(async () => !host2.services.callbackTokens.holds(id), "host 2's cache to drop the rotated record", 5_000);

  // During the overlap both tokens open the webhook, on both hosts (and get cached again).
  for (const host of [host1, host2]) {
    expect((await post(host, old)).status).toBe(200);
    expect((await post(host, fresh)).status).toBe(200);
  }
  expect(host2.services.callbackTokens.holds(id)).toBe(true);

  // The overlap ends: compared with the stored deadline on every request, whatever is cached.
  skewMs = ROTATION_OVERLAP_MS + 1_000;
  expect((await post(host2, old)).status).toBe(401);
  expect((await post(host1, old)).status).toBe(401);
  expect((await post(host2, fresh)).status).toBe(200);
});

it('invalidation connection lost => nothing is served from the cache until it is subscribed again (fail closed)', async () => {
  const { id, callback } = await linkedCallback();
  await warm(host2, callback, id);

  // Kill host 2's subscriber, then revoke behind its back (no message: it would be lost anyway).
  const name = host2.services.callbackTokens.connectionName;
  const clients = String(await host2.inspect.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  const line = clients.split('\n').find((l) => l.includes(`name=${name} `));
  const clientId = /id=(\d+)/.exec(line ?? '')?.[1];
  if (!clientId) throw new Error(`no subscriber named ${name} in ${clients}`);
  await host2.inspect.call('CLIENT', 'KILL', 'ID', clientId);
  await eventually(async () => !host2.services.callbackTokens.holds(id), "host 2's cache to be dropped with its subscription", 5_000);
  await host2.inspect.hdel(keyNames(host2.services.keys).installation(id), 'callbackTokenHash');

  expect((await post(host2, callback)).status).toBe(401);
  // Once subscribed again it caches, and serves, as before.
  await eventually(async () => host2.services.callbackTokens.listening, 'host 2 to subscribe again', 10_000);
});

it('a lookup in flight when an invalidation arrives => its (possibly stale) result is not cached', async () => {
  const { id, callback } = await linkedCallback();
  await warm(host2, callback, id);
  const cache = host2.services.callbackTokens;
  const record = { connector: 'netatmo', record: { currentHash: 'x', previousHash: undefined, previousUntil: undefined } };

  // Taken before the lookup; the invalidation comes while the reply is on its way.
  const ticket = cache.ticket();
  await host1.services.callbackTokens.announce(id);
  await eventually(async () => !cache.holds(id), "host 2's cache to get the message", 5_000);
  cache.set(id, record, ticket);
  expect(cache.holds(id)).toBe(false);

  // A lookup that started after it is kept.
  cache.set(id, record, cache.ticket());
  expect(cache.holds(id)).toBe(true);
});

import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProviderTokenStore, type TokenSet } from '../../src/cloud/provider-token-store';
import { tokenKeys } from '../../src/cloud/token-keys';
import { encrypt } from '../../src/runtime/secrets/crypto';
import { SecretKeyring } from '../../src/runtime/secrets/keyring';
import { createKeys } from '../../src/runtime/redis/keys';
import type { Keys } from '../../src/runtime';
import { toolClient } from '../helpers/redis-client';

/**
 * What the token store seals (issue 16.4): v3, one-letter field names, absent fields left out;
 * every older shape and format still opens, and the compare-and-set still fences on the string.
 */

const key = randomBytes(32);
const ring = new SecretKeyring([{ id: 'k1', key }]);
/** As seal() wrote token sets before v3: the full field names, undefined ones left out by JSON. */
const v2Of = (plain: string, installationId: string) => `v2.k1.${encrypt(key, plain, installationId).slice('v1.'.length)}`;

let redis: Redis;
let keys: Keys;
let store: ProviderTokenStore;
beforeAll(() => {
  redis = toolClient(inject('redisUrl'));
  keys = createKeys(`test-tokens-${randomUUID()}`);
  store = new ProviderTokenStore(redis, keys, ring);
});
afterAll(async () => {
  const left = await redis.keys(`*${keys.prefix}*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
});

describe('ProviderTokenStore', () => {
  it('put => v3 holding the compact shape, absent fields left out; get reads the same token set', async () => {
    const id = randomUUID();
    const tokens: TokenSet = { accessToken: 'acc', refreshToken: undefined, expiresAt: 1_800_000_000_000, scope: undefined, tokenType: 'Bearer' };
    await store.put(id, tokens);
    const sealed = (await store.getSealed(id)) ?? '';
    expect(sealed).toMatch(/^v3\.k1\./);
    expect(JSON.parse(ring.open(sealed, id))).toEqual({ a: 'acc', e: 1_800_000_000_000, t: 'Bearer' });
    expect(await store.get(id)).toEqual({ tokens, sealed });
  });

  it('token sets sealed before (v2 with the full names, v1) open to the same token set', async () => {
    const id = randomUUID();
    const full = { accessToken: 'old', refreshToken: 'old-r', expiresAt: 1_700_000_000_000, scope: 's', tokenType: 'Bearer' };
    await redis.set(tokenKeys(keys).installationTokens(id), v2Of(JSON.stringify(full), id));
    expect((await store.get(id))?.tokens).toEqual(full);
    const v1 = encrypt(key, JSON.stringify({ accessToken: 'older' }), id);
    await redis.set(tokenKeys(keys).installationTokens(id), v1);
    expect((await store.get(id))?.tokens).toEqual({ accessToken: 'older', refreshToken: undefined, expiresAt: undefined, scope: undefined, tokenType: undefined });
  });

  it('a plaintext in neither shape (no access token) => refused, not read as an empty token set', async () => {
    const id = randomUUID();
    await redis.set(tokenKeys(keys).installationTokens(id), ring.seal(JSON.stringify({ r: 'only-refresh' }), id));
    await expect(store.get(id)).rejects.toThrow();
  });

  it('compare-and-set fences on the stored string: a v2 value read before is replaced once, a stale one never', async () => {
    const id = randomUUID();
    const old = v2Of(JSON.stringify({ accessToken: 'one' }), id);
    await redis.set(tokenKeys(keys).installationTokens(id), old);
    const next: TokenSet = { accessToken: 'two', refreshToken: 'r2', expiresAt: undefined, scope: undefined, tokenType: undefined };
    expect(await store.compareAndSet(id, old, next)).toBe(true);
    expect(await store.compareAndSet(id, old, { ...next, accessToken: 'three' })).toBe(false);
    const now = await store.get(id);
    expect(now?.tokens.accessToken).toBe('two');
    expect(await store.deleteIf(id, old)).toBe(false);
    expect(await store.deleteIf(id, now?.sealed ?? '')).toBe(true);
  });

  it('rewrite (rekey) => the compact shape from either shape; a plaintext it cannot read is kept as it is', () => {
    expect(JSON.parse(store.rewrite(JSON.stringify({ accessToken: 'a1', refreshToken: 'r1', tokenType: 'Bearer' })))).toEqual({ a: 'a1', r: 'r1', t: 'Bearer' });
    expect(JSON.parse(store.rewrite(JSON.stringify({ a: 'a1', s: 'x' })))).toEqual({ a: 'a1', s: 'x' });
    expect(store.rewrite('not json')).toBe('not json');
  });
});

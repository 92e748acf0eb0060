import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/runtime/redis/keys';
import { DrainState } from '../../src/webservices/drain-state';
import { GrantStore } from '../../src/webservices/grant-store';
import { toolClient } from '../helpers/redis-client';
import { subscriptionKeys } from '../../src/webservices/subscription-keys';

let redis: Redis;
let prefix: string;
const prefixes: string[] = [];
let drains: DrainState;
let grants: GrantStore;

beforeAll(() => {
  redis = toolClient(inject('redisUrl'));
});
beforeEach(() => {
  prefix = `test-${randomUUID()}`;
  prefixes.push(prefix);
  const keys = createKeys(prefix);
  drains = new DrainState(redis, subscriptionKeys(prefix));
  grants = new GrantStore(redis, keys, { codeTtlS: 600, accessTokenTtlS: 60, refreshTokenTtlS: 600 });
});
afterAll(async () => {
  // Only this file's keys: other test files share the server.
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

const item = (deviceId: string, body: string) => ({ subscriptionId: 's1', deviceId, body });

describe('DrainState (Redis scripts)', () => {
  it('commit => starts one drain per idle pair; a pair with a drain only gets its list appended', async () => {
    const first = await drains.commit(undefined, '1-0', [item('d1', 'a'), item('d1', 'b'), item('d2', 'c')]);
    expect(first?.map((s) => s.deviceId)).toEqual(['d1', 'd2']);
    const again = await drains.commit('1-0', '2-0', [item('d1', 'd')]);
    expect(again).toEqual([]);
    expect(await redis.lrange(subscriptionKeys(prefix).deliveryList('s1', 'd1'), 0, -1)).toEqual(['a', 'b', 'd']);
    expect(await drains.cursor()).toBe('2-0');
  });

  it('commit from a stale cursor => refused, nothing pushed (another reader routed that batch)', async () => {
    await drains.commit(undefined, '5-0', []);
    expect(await drains.commit('4-0', '6-0', [item('d1', 'x')])).toBeUndefined();
    expect(await drains.head('s1', 'd1')).toBeUndefined();
    expect(await drains.cursor()).toBe('5-0');
  });

  it('releaseIfEmpty => false while items remain; then frees the pair so the next commit starts a new drain', async () => {
    const [started] = (await drains.commit(undefined, '1-0', [item('d1', 'a')])) ?? [];
    const gen = started?.generation ?? -1;
    expect(await drains.releaseIfEmpty('s1', 'd1', gen)).toBe(false);
    await drains.pop('s1', 'd1');
    expect(await drains.releaseIfEmpty('s1', 'd1', gen)).toBe(true);
    expect(await drains.active()).toEqual([]);
    const next = await drains.commit('1-0', '2-0', [item('d1', 'b')]);
    expect(next?.[0]?.generation).toBeGreaterThan(gen);
  });

  it('handoff => only the owning generation can pass the pair on', async () => {
    const [started] = (await drains.commit(undefined, '1-0', [item('d1', 'a')])) ?? [];
    const gen = started?.generation ?? -1;
    expect(await drains.handoff('s1', 'd1', gen + 100)).toBeUndefined();
    const next = await drains.handoff('s1', 'd1', gen);
    expect(next).toBeGreaterThan(gen);
    expect(await drains.generation('s1', 'd1')).toBe(next);
    expect(await drains.handoff('s1', 'd1', gen)).toBeUndefined();
  });

  it('moveHeadToFailed => the head leaves the queue for the failed list, the rest keeps its order', async () => {
    await drains.commit(undefined, '1-0', [item('d1', 'a'), item('d1', 'b')]);
    await drains.moveHeadToFailed('s1', 'd1');
    expect(await drains.head('s1', 'd1')).toBe('b');
    expect(await drains.failedCount('s1')).toBe(1);
  });
});

describe('GrantStore (Redis scripts)', () => {
  const grant = { clientId: 'c', appId: 'a', grantId: 'g1', scopes: ['r:devices:*' as const] };

  it('rotation => exactly one of two concurrent refreshes wins', async () => {
    const issued = await grants.issue(grant, 0);
    const found = await grants.readToken('refresh', issued?.refreshToken ?? '');
    expect(found).toBeDefined();
    const rotating = { refreshToken: issued?.refreshToken ?? '', storedValue: found?.storedValue ?? '' };
    const results = await Promise.all([grants.issue(grant, 0, rotating), grants.issue(grant, 0, rotating)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await grants.readToken('refresh', issued?.refreshToken ?? '')).toBeUndefined();
  });

  it('revokeGrant => every token of the grant is gone, and the grant can issue no more', async () => {
    const a = await grants.issue(grant, 0);
    await grants.revokeGrant('g1');
    expect(await grants.readToken('access', a?.accessToken ?? '')).toBeUndefined();
    expect(await grants.readToken('refresh', a?.refreshToken ?? '')).toBeUndefined();
    expect(await grants.issue(grant, 0)).toBeUndefined();
  });

  it('markCodeUsed => true once, then false', async () => {
    const code = await grants.createCode({ clientId: 'c', appId: 'a', redirectUri: 'https://e/cb', scopes: [] }, 0);
    expect(await grants.markCodeUsed(code, 1)).toBe(true);
    expect(await grants.markCodeUsed(code, 2)).toBe(false);
    expect((await grants.readCode(code))?.usedAt).toBe(1);
  });
});

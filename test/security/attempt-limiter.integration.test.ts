import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AttemptLimiter } from '../../src/webservices/attempt-limiter';
import { toolClient } from '../helpers/redis-client';

// The reservation script behind every credential limiter (issue 14, item 2), against the real
// Redis: all or nothing, the window starts with the first slot, a success gives its slot back.

let redis: Redis;
const prefix = `test-${randomUUID()}`;
beforeAll(() => {
  redis = toolClient(inject('redisUrl'));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const key = (name: string) => `${prefix}:${name}:${randomUUID()}`;

describe('AttemptLimiter', () => {
  it('reserves until a counter is full; then refuses without touching any counter, with the fullest one\'s TTL', async () => {
    const limiter = new AttemptLimiter(redis, 900);
    const account = { key: key('account'), max: 2 };
    const address = { key: key('addr'), max: 10 };
    expect((await limiter.reserve([account, address])).ok).toBe(true);
    expect((await limiter.reserve([account, address])).ok).toBe(true);
    const refused = await limiter.reserve([account, address]);
    expect(refused).toEqual({ ok: false, retryAfterS: expect.any(Number) as number });
    if (!refused.ok) {
      expect(refused.retryAfterS).toBeGreaterThan(0);
      expect(refused.retryAfterS).toBeLessThanOrEqual(900);
    }
    // All or nothing: the refused attempt charged the address nothing.
    expect(await redis.get(address.key)).toBe('2');
    expect(await redis.get(account.key)).toBe('2');
    const ttl = await redis.pttl(account.key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(900_000);
  });

  it('200 concurrent reservations on a counter of 7 => exactly 7 granted', async () => {
    const limiter = new AttemptLimiter(redis, 60);
    const counter = { key: key('burst'), max: 7 };
    const results = await Promise.all(Array.from({ length: 200 }, () => limiter.reserve([counter])));
    expect(results.filter((r) => r.ok)).toHaveLength(7);
  });

  it('release gives one slot back on each counter, and deletes a counter back at zero', async () => {
    const limiter = new AttemptLimiter(redis, 60);
    const a = { key: key('a'), max: 3 };
    const b = { key: key('b'), max: 3 };
    const first = await limiter.reserve([a, b]);
    const second = await limiter.reserve([a, b]);
    if (!first.ok || !second.ok) throw new Error('expected two slots');
    await second.release();
    expect(await redis.get(a.key)).toBe('1');
    await first.release();
    expect(await redis.exists(a.key, b.key)).toBe(0);
    // Released after the counter expired: nothing is recreated (a bare DECR would leave -1, forever).
    const third = await limiter.reserve([a]);
    if (!third.ok) throw new Error('expected a slot');
    await redis.del(a.key);
    await third.release();
    expect(await redis.exists(a.key)).toBe(0);
  });

  it('a full counter left without a TTL is given one, so it cannot lock its subject out for good', async () => {
    const limiter = new AttemptLimiter(redis, 30);
    const counter = { key: key('no-ttl'), max: 1 };
    await redis.set(counter.key, '5');
    const refused = await limiter.reserve([counter]);
    expect(refused).toEqual({ ok: false, retryAfterS: 30 });
    expect(await redis.pttl(counter.key)).toBeGreaterThan(0);
  });
});

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { claim, release } from '../../src/ingest/dedup';
import { toolClient } from '../helpers/redis-client';

/**
 * The webhook worker claims a delivery's dedup key before applying it. A worker killed (or cut off
 * from Redis) between the claim and the end of the job leaves the claim behind; the job is then
 * retried under the same job id and must not be taken for a duplicate of itself, or an
 * acknowledged callback is lost. Found by the Redis-restart fault test (3 of 144 acknowledged
 * webhooks dropped as "duplicates" of their own first attempt).
 */

let redis: Redis;
const key = `test-${randomUUID()}:dedup`;
const WINDOW = 60_000;
const now = 1_700_000_000_000;

beforeAll(() => {
  redis = toolClient(inject('redisUrl'));
});
afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
});

describe('dedup claim after a crash', () => {
  it('claim(same key, same job) after a crash that skipped release => true: the retry applies its payload', async () => {
    expect(await claim(redis, key, 'setpoint:a', now, WINDOW, 'job-1')).toBe(true);
    // The worker dies here: no release. BullMQ retries job-1.
    expect(await claim(redis, key, 'setpoint:a', now + 1_000, WINDOW, 'job-1')).toBe(true);
  });

  it('claim(same key, another job) within the window => false: a real duplicate is still dropped', async () => {
    expect(await claim(redis, key, 'setpoint:b', now, WINDOW, 'job-2')).toBe(true);
    expect(await claim(redis, key, 'setpoint:b', now + 1_000, WINDOW, 'job-3')).toBe(false);
  });

  it('release(key, owner) => another delivery of the same event may claim it again', async () => {
    expect(await claim(redis, key, 'setpoint:c', now, WINDOW, 'job-4')).toBe(true);
    await release(redis, key, 'setpoint:c', 'job-4');
    expect(await claim(redis, key, 'setpoint:c', now, WINDOW, 'job-5')).toBe(true);
    expect(await claim(redis, key, 'setpoint:c', now, WINDOW, 'job-4')).toBe(false);
  });

  it('claim(after the window) => true for anyone; the expired owner marker is gone too', async () => {
    expect(await claim(redis, key, 'setpoint:d', now, WINDOW, 'job-6')).toBe(true);
    expect(await claim(redis, key, 'setpoint:d', now + WINDOW + 1, WINDOW, 'job-7')).toBe(true);
    expect(await claim(redis, key, 'setpoint:d', now + WINDOW + 2, WINDOW, 'job-6')).toBe(false);
  });
});

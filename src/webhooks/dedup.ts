import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// One sorted set per installation, member = key digest, score = expiry: a claim is atomic, and the
// whole window lives in one key that uninstall deletes.
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

export const digest = (dedupKey: string) => createHash('sha256').update(dedupKey).digest('base64url').slice(0, 22);

/** True when this key was not seen within the window (and is now claimed). */
export async function claim(redis: Redis, key: string, dedupKey: string, now: number, windowMs: number): Promise<boolean> {
  const claimed = await redis.eval(CLAIM, 1, key, digest(dedupKey), String(now), String(now + windowMs), String(windowMs));
  return claimed === 1;
}

/** Gives a claim back when applying failed, so the retry is not mistaken for a duplicate. */
export async function release(redis: Redis, key: string, dedupKey: string): Promise<void> {
  await redis.zrem(key, digest(dedupKey));
}

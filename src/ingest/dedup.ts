import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// One sorted set per installation, score = expiry: a claim is atomic, and the whole window lives
// in one key that uninstall deletes. Each claim is two members: the key's digest (is it taken?)
// and `o:<digest>:<owner>` (by whom?). The owner is the job id, which survives BullMQ retries and
// stalled-job recovery: a job that claimed a key and then died (SIGKILL, or Redis gone before it
// could give the claim back) finds its own claim on the retry and applies its payload, instead of
// taking itself for a duplicate and dropping an acknowledged callback.
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local owner = 'o:' .. ARGV[1] .. ':' .. ARGV[5]
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if redis.call('ZSCORE', KEYS[1], owner) then return 1 end
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1], ARGV[3], owner)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1], 'o:' .. ARGV[1] .. ':' .. ARGV[2])
return 1
`;

export const digest = (dedupKey: string) => createHash('sha256').update(dedupKey).digest('base64url').slice(0, 22);

/**
 * True when this key was not seen within the window (and is now claimed by `owner`), or when
 * `owner` itself claimed it before (a retry of the same delivery).
 */
export async function claim(redis: Redis, key: string, dedupKey: string, now: number, windowMs: number, owner: string): Promise<boolean> {
  const claimed = await redis.eval(CLAIM, 1, key, digest(dedupKey), String(now), String(now + windowMs), String(windowMs), owner);
  return claimed === 1;
}

/** Gives a claim back when applying failed, so another delivery of the same event may apply it. */
export async function release(redis: Redis, key: string, dedupKey: string, owner: string): Promise<void> {
  await redis.eval(RELEASE, 1, key, digest(dedupKey), owner);
}

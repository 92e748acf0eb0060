import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Only the owner may release: compare-and-delete (BullMQ's extendLock checks its token the same way).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// Renewal is owner-checked the same way: a lock that expired and was taken by another is not extended.
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

export interface HeldLock {
  owner: string;
  release(): Promise<void>;
  /** Resets the TTL if still ours; false when the lock was lost. */
  extend(ttlMs: number): Promise<boolean>;
}

/** A Redis lock with a TTL, so a crashed holder blocks others for at most `ttlMs`. */
export async function tryAcquire(redis: Redis, key: string, ttlMs: number): Promise<HeldLock | undefined> {
  const owner = randomUUID();
  const ok = await redis.set(key, owner, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return undefined;
  return {
    owner,
    release: async () => {
      await redis.eval(RELEASE, 1, key, owner);
    },
    extend: async (ttl) => (await redis.eval(EXTEND, 1, key, owner, String(ttl))) === 1,
  };
}

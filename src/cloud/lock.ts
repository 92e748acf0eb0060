import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Only the owner may release: compare-and-delete (BullMQ's extendLock checks its token the same way).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface HeldLock {
  owner: string;
  release(): Promise<void>;
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
  };
}

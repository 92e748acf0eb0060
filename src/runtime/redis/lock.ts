import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { inTurn } from './turn-batch';

// Only the owner may release: compare-and-delete (BullMQ's extendLock checks its token the same way).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// Renewal is owner-checked the same way: a lock that expired and was taken by another is not extended.
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

export interface HeldLock {
  key: string;
  owner: string;
  release(): Promise<void>;
  /** Resets the TTL if still ours; false when the lock was lost. */
  extend(ttlMs: number): Promise<boolean>;
}

/** Replies of commands queued behind the acquire, in order: [error, reply] each. */
export type PipelineReplies = ReadonlyArray<[Error | null, unknown]>;

/**
 * A Redis lock with a TTL, so a crashed holder blocks others for at most `ttlMs`. `reads` may
 * queue commands behind the SET in the same pipeline: run right after the lock is taken, in the
 * same round trip. When the lock is not taken their replies go to `refused` (a read that reserved
 * something, such as a cloud admission, gives it back there) and are otherwise thrown away.
 */
export async function tryAcquire(
  redis: Redis,
  key: string,
  ttlMs: number,
  reads?: (pipeline: ChainableCommander) => void,
  refused?: (replies: PipelineReplies) => void,
): Promise<(HeldLock & { replies: PipelineReplies }) | undefined> {
  const owner = randomUUID();
  try {
    return await acquire(redis, key, ttlMs, owner, reads, refused);
  } catch (err) {
    // No reply is not "not taken": a timed-out SET may still run once a hung Redis resumes, and
    // would then block the key for its whole TTL. The release is queued behind it on the same
    // connection, so it runs right after it; if the SET never ran it finds nothing to delete.
    redis.eval(RELEASE, 1, key, owner).catch(() => undefined);
    throw err;
  }
}

async function acquire(
  redis: Redis,
  key: string,
  ttlMs: number,
  owner: string,
  reads: ((pipeline: ChainableCommander) => void) | undefined,
  refused: ((replies: PipelineReplies) => void) | undefined,
): Promise<(HeldLock & { replies: PipelineReplies }) | undefined> {
  let replies: PipelineReplies = [];
  if (reads) {
    const pipeline = redis.pipeline().set(key, owner, 'PX', ttlMs, 'NX');
    reads(pipeline);
    const [acquired, ...rest] = (await pipeline.exec()) ?? [];
    if (!acquired) throw new Error('lock pipeline returned no replies');
    // A SET that failed did not take the lock either: what the reads reserved goes back the same way.
    if (acquired[0]) {
      refused?.(rest);
      throw acquired[0];
    }
    if (acquired[1] !== 'OK') {
      refused?.(rest);
      return undefined;
    }
    replies = rest;
  } else {
    const ok = await redis.set(key, owner, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return undefined;
  }
  return {
    key,
    owner,
    replies,
    // Sent with the other releases of this turn (a cloud lease's, other polls'): one round trip for all.
    release: async () => {
      await inTurn(redis, key, (pipeline) => pipeline.eval(RELEASE, 1, key, owner));
    },
    extend: async (ttl) => (await redis.eval(EXTEND, 1, key, owner, String(ttl))) === 1,
  };
}

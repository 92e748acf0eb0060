import type { Redis } from 'ioredis';

export async function isRedisReady(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('ping timeout')), timeoutMs).unref()),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  }
}

/**
 * Errors that mean "no usable primary right now", as opposed to a bug in a command: the request
 * answers 503 + Retry-After. Besides a connection that is down or hung: a refused command of a
 * client without offline queue (it was not connected), a demoted primary (READONLY), a primary
 * without enough replicas (NOREPLICAS, min-replicas-to-write), a primary that lost its master
 * (MASTERDOWN), sentinels that cannot be reached, a cluster that is reconfiguring (CLUSTERDOWN,
 * TRYAGAIN, or a Cluster client out of redirections: while a dead primary's replica is not yet
 * promoted, the live nodes answer MOVED to the dead one, whose connection fails, until ioredis's
 * maxRedirections run out and it reports the last MOVED).
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'DeadlineExceededError' || err.name === 'ReplicasNotConfirmedError') return true;
  // "Command timed out" is ioredis's commandTimeout: Redis hangs, or is too slow to count on.
  return UNAVAILABLE.test(err.message);
}

// Server error codes also match inside a script's error (`… -READONLY You can't write …`).
const UNAVAILABLE = new RegExp(
  [
    'Command timed out',
    'Connection is closed',
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    "Stream isn't writeable",
    'Too many Cluster redirections',
    'enableOfflineQueue',
    'All sentinels are unreachable',
    '\\bLOADING\\b',
    '\\bREADONLY\\b',
    '\\bNOREPLICAS\\b',
    '\\bMASTERDOWN\\b',
    '\\bCLUSTERDOWN\\b',
    '\\bTRYAGAIN\\b',
    'Failed to refresh slots cache',
  ].join('|'),
);

/** Fewer replicas confirmed a write (WAIT) than REDIS_ACK_REPLICAS asks: the write is not acknowledged. */
export class ReplicasNotConfirmedError extends Error {
  constructor(wanted: number, confirmed: number) {
    super(`${confirmed} of ${wanted} replicas confirmed the write`);
    this.name = 'ReplicasNotConfirmedError';
  }
}

/** Thrown by withDeadline: the operation may still complete later; the caller gave up on it. */
export class DeadlineExceededError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not complete within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Settles with `operation`, or rejects with DeadlineExceededError after `ms`. The operation is not
 * cancelled (a Redis command already written cannot be): only the caller stops waiting for it.
 */
export function withDeadline<T>(operation: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms);
  });
  return Promise.race([operation, expired]).finally(() => clearTimeout(timer));
}

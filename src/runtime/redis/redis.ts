import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connections for data access fail fast instead of queueing commands while Redis is down, so an
 * HTTP request gets a 503 quickly rather than hanging. BullMQ's own connections are created by
 * BullMQ with the options it requires (maxRetriesPerRequest: null).
 *
 * `commandTimeoutMs` bounds every command, sent or still in the offline queue: a Redis that hangs
 * (SIGSTOP, a stuck fork, a full network buffer) keeps its TCP connection open, so neither the
 * reconnect logic nor maxRetriesPerRequest would ever fire. Never give it to a connection that
 * runs blocking commands (XREAD BLOCK, BullMQ's workers): those wait on purpose.
 */
export function createRedis(url: string, overrides: RedisOptions & { commandTimeoutMs?: number } = {}): Redis {
  const { commandTimeoutMs, ...rest } = overrides;
  const options: Omit<RedisOptions, 'replyMapping'> = {
    ...(commandTimeoutMs !== undefined ? { commandTimeout: commandTimeoutMs } : {}),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    lazyConnect: false,
    ...rest,
  };
  return new Redis<'legacy'>(url, { ...options, replyMapping: 'legacy' });
}

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

/** Errors that mean "Redis is not there right now", as opposed to a bug in a command. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'DeadlineExceededError') return true;
  // "Command timed out" is ioredis's commandTimeout: Redis hangs, or is too slow to count on.
  return /Command timed out|Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable|enableOfflineQueue|ETIMEDOUT|LOADING|READONLY/.test(
    err.message,
  );
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

import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connections for data access fail fast instead of queueing commands while Redis is down, so an
 * HTTP request gets a 503 quickly rather than hanging. BullMQ's own connections are created by
 * BullMQ with the options it requires (maxRetriesPerRequest: null).
 */
export function createRedis(url: string, overrides: RedisOptions = {}): Redis {
  const options: Omit<RedisOptions, 'replyMapping'> = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    lazyConnect: false,
    ...overrides,
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
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable|enableOfflineQueue|ETIMEDOUT|LOADING|READONLY/.test(
    err.message,
  );
}

import type { Redis } from 'ioredis';

/**
 * The values of `keys`, in order: one MGET on a single server; on a Cluster, where the keys sit in
 * as many slots as records and MGET would fail with CROSSSLOT, one GET each, sent together.
 */
export async function getMany(redis: Redis, keys: readonly string[]): Promise<Array<string | null>> {
  if (keys.length === 0) return [];
  if (!redis.isCluster) return redis.mget(...keys);
  return Promise.all(keys.map((key) => redis.get(key)));
}

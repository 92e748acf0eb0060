import type { Redis } from 'ioredis';
import type { RekeyCheckpoints } from './rekey';

/** The rekey's checkpoints: one hash, `<family>` → cursor, valid only for the first key they were made under. */
export class RedisRekeyCheckpoints implements RekeyCheckpoints {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async load(family: string, primaryId: string): Promise<string | undefined> {
    const [primary, cursor] = await this.redis.hmget(this.key, 'primary', family);
    return primary === primaryId && cursor ? cursor : undefined;
  }

  async save(family: string, primaryId: string, cursor: string): Promise<void> {
    const primary = await this.redis.hget(this.key, 'primary');
    // Checkpoints of a rekey to another first key say nothing about this one.
    if (primary !== null && primary !== primaryId) await this.redis.del(this.key);
    await this.redis.hset(this.key, 'primary', primaryId, family, cursor);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}

import type { Redis } from 'ioredis';
import type { RekeyCheckpoints } from './rekey';

/**
 * The rekey's checkpoints: one hash, `<family>` → cursor, valid only for the target (sealed format
 * and first key) they were made towards; the field keeps its old name, `primary`.
 */
export class RedisRekeyCheckpoints implements RekeyCheckpoints {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async load(family: string, target: string): Promise<string | undefined> {
    const [primary, cursor] = await this.redis.hmget(this.key, 'primary', family);
    return primary === target && cursor ? cursor : undefined;
  }

  async save(family: string, target: string, cursor: string): Promise<void> {
    const primary = await this.redis.hget(this.key, 'primary');
    // Checkpoints of a rekey to another first key (or format) say nothing about this one.
    if (primary !== null && primary !== target) await this.redis.del(this.key);
    await this.redis.hset(this.key, 'primary', target, family, cursor);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}

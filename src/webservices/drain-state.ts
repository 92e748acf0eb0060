import type { Redis } from 'ioredis';
import type { SubscriptionKeys } from './subscription-keys';
import type { RoutedDelivery } from './delivery-payloads';

/**
 * Per (subscription, device): a FIFO list of bodies to deliver and a marker naming the generation
 * of the one drain job allowed to work it. Pushing and "is a drain running?" happen atomically, and
 * so do "list empty" and releasing the marker, so an item is never left without a drain.
 */

// Advances the fan-out cursor only if it is still where this reader found it (two readers: one
// commits, the other re-reads), and starts a drain for every pair that had none.
const COMMIT_SCRIPT = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {0} end
redis.call('SET', KEYS[1], ARGV[2])
local started = {1}
local n = (#KEYS - 3) / 2
for i = 1, n do
  local list = KEYS[2 + 2 * i]
  local marker = KEYS[3 + 2 * i]
  redis.call('RPUSH', list, ARGV[2 + 2 * i])
  if redis.call('EXISTS', marker) == 0 then
    local gen = redis.call('INCR', KEYS[3])
    redis.call('SET', marker, gen)
    redis.call('SADD', KEYS[2], ARGV[1 + 2 * i])
    table.insert(started, ARGV[1 + 2 * i] .. '|' .. gen)
  end
end
return started
`;

const RELEASE_SCRIPT = `
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[2])
end
return 1
`;

const HANDOFF_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local gen = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], gen)
return gen
`;

export interface StartedDrain {
  subscriptionId: string;
  deviceId: string;
  generation: number;
}

const member = (subscriptionId: string, deviceId: string) => `${subscriptionId}|${deviceId}`;

export function parseMember(value: string): { subscriptionId: string; deviceId: string } | undefined {
  const [subscriptionId, deviceId, ...rest] = value.split('|');
  return subscriptionId && deviceId && rest.length === 0 ? { subscriptionId, deviceId } : undefined;
}

/**
 * The keys one family of ordered deliveries uses: subscriptions' (per device) and event sinks'
 * (per installation) share this machinery under their own names.
 */
export type DrainKeys = Pick<
  SubscriptionKeys,
  'fanoutCursor' | 'activeDrains' | 'deliveryGeneration' | 'deliveryList' | 'deliveryMarker' | 'deliveryFailed' | 'layout1'
>;

/**
 * Layout 1 kept this state under keys of many slots; layout 2 puts it under the family's hash tag.
 * Renames what an older version left (idempotent: a key already moved is gone from its old name),
 * before the new layout is recorded (runtime/redis/layout.ts runs it).
 */
export async function migrateDrainKeys(redis: Redis, keys: DrainKeys): Promise<number> {
  let moved = 0;
  const rename = async (from: string, to: string): Promise<void> => {
    try {
      await redis.rename(from, to);
      moved += 1;
    } catch (err) {
      if (!/no such key/i.test((err as Error).message)) throw err;
    }
  };
  for (const [from, to] of keys.layout1.fixed) await rename(from, to);
  for (const pattern of keys.layout1.patterns) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      cursor = next;
      for (const key of found) await rename(key, keys.layout1.moved(key));
    } while (cursor !== '0');
  }
  return moved;
}

export class DrainState {
  constructor(
    private readonly redis: Redis,
    private readonly keys: DrainKeys,
  ) {}

  async cursor(): Promise<string | undefined> {
    return (await this.redis.get(this.keys.fanoutCursor())) ?? undefined;
  }

  /** Undefined when another reader advanced the cursor first. */
  async commit(expected: string | undefined, next: string, items: readonly RoutedDelivery[]): Promise<StartedDrain[] | undefined> {
    const keys = [this.keys.fanoutCursor(), this.keys.activeDrains(), this.keys.deliveryGeneration()];
    const args = [expected ?? '', next];
    for (const item of items) {
      keys.push(this.keys.deliveryList(item.subscriptionId, item.deviceId), this.keys.deliveryMarker(item.subscriptionId, item.deviceId));
      args.push(member(item.subscriptionId, item.deviceId), item.body);
    }
    const result = (await this.redis.eval(COMMIT_SCRIPT, keys.length, ...keys, ...args)) as [number, ...string[]];
    if (result[0] !== 1) return undefined;
    return result.slice(1).flatMap((entry) => {
      const parts = String(entry).split('|');
      const [subscriptionId, deviceId, gen] = parts;
      return subscriptionId && deviceId && gen ? [{ subscriptionId, deviceId, generation: Number(gen) }] : [];
    });
  }

  async generation(subscriptionId: string, deviceId: string): Promise<number | undefined> {
    const raw = await this.redis.get(this.keys.deliveryMarker(subscriptionId, deviceId));
    return raw === null ? undefined : Number(raw);
  }

  async head(subscriptionId: string, deviceId: string): Promise<string | undefined> {
    return (await this.redis.lindex(this.keys.deliveryList(subscriptionId, deviceId), 0)) ?? undefined;
  }

  async pop(subscriptionId: string, deviceId: string): Promise<void> {
    await this.redis.lpop(this.keys.deliveryList(subscriptionId, deviceId));
  }

  /** Keeps the last 1000 bodies that exhausted their attempts, for inspection. */
  async moveHeadToFailed(subscriptionId: string, deviceId: string): Promise<void> {
    const body = await this.redis.lpop(this.keys.deliveryList(subscriptionId, deviceId));
    if (body === null) return;
    await this.redis.multi().lpush(this.keys.deliveryFailed(subscriptionId), body).ltrim(this.keys.deliveryFailed(subscriptionId), 0, 999).exec();
  }

  async failedCount(subscriptionId: string): Promise<number> {
    return this.redis.llen(this.keys.deliveryFailed(subscriptionId));
  }

  /** True when the list is empty and this generation's marker is gone: the drain may end. */
  async releaseIfEmpty(subscriptionId: string, deviceId: string, generation: number): Promise<boolean> {
    const result = await this.redis.eval(
      RELEASE_SCRIPT,
      3,
      this.keys.deliveryList(subscriptionId, deviceId),
      this.keys.deliveryMarker(subscriptionId, deviceId),
      this.keys.activeDrains(),
      String(generation),
      member(subscriptionId, deviceId),
    );
    return result === 1;
  }

  /** Passes the pair to a fresh job (new generation); undefined if this generation no longer owns it. */
  async handoff(subscriptionId: string, deviceId: string, generation: number): Promise<number | undefined> {
    const gen = await this.redis.eval(
      HANDOFF_SCRIPT,
      2,
      this.keys.deliveryMarker(subscriptionId, deviceId),
      this.keys.deliveryGeneration(),
      String(generation),
    );
    return typeof gen === 'number' && gen > 0 ? gen : undefined;
  }

  /** Drops everything queued for a pair (its subscription is gone). */
  async discard(subscriptionId: string, deviceId: string): Promise<void> {
    await this.redis.del(this.keys.deliveryList(subscriptionId, deviceId), this.keys.deliveryMarker(subscriptionId, deviceId));
    await this.redis.srem(this.keys.activeDrains(), member(subscriptionId, deviceId));
  }

  async active(): Promise<{ subscriptionId: string; deviceId: string }[]> {
    return (await this.redis.smembers(this.keys.activeDrains())).flatMap((m) => parseMember(m) ?? []);
  }
}


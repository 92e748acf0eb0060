import type { Redis } from 'ioredis';
import { AppError } from '../errors';

/**
 * Writes that commit only while a lock is still ours. The check and the writes run in one Lua
 * script, so there is no moment between "still held" and "written" in which the lock can expire
 * and another holder start writing (a check-then-MULTI would have one; a WATCH would need a
 * connection of its own, since any EXEC on the shared connection clears it).
 *
 * Every key is passed in KEYS, so the script stays valid once keys are partitioned for Cluster.
 */
const FENCED_EXEC = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LOCKLOST lock not held') end
local k, a = 2, 2
while a <= #ARGV do
  local name, nkeys, nargs = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  a = a + 3
  local argv = {}
  for _ = 1, nkeys do argv[#argv + 1] = KEYS[k]; k = k + 1 end
  for _ = 1, nargs do argv[#argv + 1] = ARGV[a]; a = a + 1 end
  redis.call(name, unpack(argv))
end
return #ARGV
`;

/** Proof of holding a lock, handed to the task that runs under it. */
export interface Fence {
  readonly key: string;
  readonly owner: string;
  /** True once a renewal found the lock gone or taken by another holder. */
  readonly lost: boolean;
  /** Throws `lock_lost` if a renewal already found the lock lost: call before writes the fence cannot cover. */
  assertHeld(): void;
}

export class LockFence implements Fence {
  private isLost = false;
  constructor(
    readonly key: string,
    readonly owner: string,
  ) {}

  get lost(): boolean {
    return this.isLost;
  }

  markLost(): void {
    this.isLost = true;
  }

  assertHeld(): void {
    if (this.isLost) throw lockLost();
  }
}

export const lockLost = (): AppError =>
  new AppError('lock_lost', { message: 'This installation was taken over by another writer; try again shortly.' });

type Value = string | number | Buffer;

/**
 * The writes of one fenced batch, in order. Only the commands the stores need, each with its keys
 * first (true of every one of them).
 */
export class WriteBatch {
  readonly commands: { name: string; keys: string[]; args: (string | Buffer)[] }[] = [];

  private add(name: string, keys: string[], args: readonly Value[]): this {
    this.commands.push({ name, keys, args: args.map((a) => (typeof a === 'number' ? String(a) : a)) });
    return this;
  }

  /** A binary value goes to Redis byte for byte (a Lua string holds any bytes). */
  set(key: string, value: string | Buffer): this {
    return this.add('SET', [key], [value]);
  }

  hset(key: string, field: string, value: string): this {
    return this.add('HSET', [key], [field, value]);
  }
  hdel(key: string, ...fields: string[]): this {
    return this.add('HDEL', [key], fields);
  }
  sadd(key: string, ...members: string[]): this {
    return this.add('SADD', [key], members);
  }
  srem(key: string, ...members: string[]): this {
    return this.add('SREM', [key], members);
  }
  del(...keys: string[]): this {
    return this.add('DEL', keys, []);
  }
  xadd(key: string, ...args: Value[]): this {
    return this.add('XADD', [key], args);
  }

  get empty(): boolean {
    return this.commands.length === 0;
  }
}

/** Runs `batch` atomically if `fence` still holds its lock; otherwise writes nothing and throws `lock_lost`. */
export async function execFenced(redis: Redis, fence: Fence, batch: WriteBatch): Promise<void> {
  fence.assertHeld();
  if (batch.empty) return;
  const keys = [fence.key];
  const argv: (string | Buffer)[] = [fence.owner];
  for (const c of batch.commands) {
    keys.push(...c.keys);
    argv.push(c.name, String(c.keys.length), String(c.args.length), ...c.args);
  }
  try {
    await redis.eval(FENCED_EXEC, keys.length, ...keys, ...argv);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('LOCKLOST')) {
      if (fence instanceof LockFence) fence.markLost();
      throw lockLost();
    }
    throw err;
  }
}

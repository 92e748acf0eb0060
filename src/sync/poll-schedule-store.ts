import type { Redis } from 'ioredis';
import type { Keys } from '../runtime';
import { pollScheduleKeys, type PollScheduleKeys } from './poll-schedule-keys';

/** One claimed schedule entry: which installation, polled with which connector. */
export interface ClaimedEntry {
  connector: string;
  installationId: string;
}

export interface Claim {
  claimed: ClaimedEntry[];
  /** The partition's earliest score after the claim (a lease included); undefined when it has no entries. */
  earliest: number | undefined;
}

/**
 * Claims up to ARGV[3] due entries (score ≤ now) of one partition, over its connectors' sets, by
 * moving them to the lease (ARGV[2]): no other dispatcher sees them due until it passes. Returns
 * the claimed (key index, member) pairs and the earliest score left, as Redis wrote it (a score
 * through Lua's tostring would lose digits). One partition's sets share its slot.
 */
const CLAIM = `
local now, lease, left = ARGV[1], ARGV[2], tonumber(ARGV[3])
local claimed = {}
for i, key in ipairs(KEYS) do
  if left <= 0 then break end
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, left)
  if #due > 0 then
    local args = {}
    for _, member in ipairs(due) do
      args[#args + 1] = lease
      args[#args + 1] = member
      claimed[#claimed + 1] = tostring(i)
      claimed[#claimed + 1] = member
    end
    redis.call('ZADD', key, 'XX', unpack(args))
    left = left - #due
  end
end
local earliest, text = nil, false
for _, key in ipairs(KEYS) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] and (earliest == nil or tonumber(first[2]) < earliest) then
    earliest, text = tonumber(first[2]), first[2]
  end
end
return {claimed, text}
`;

/**
 * Sets each claimed entry's next due time, only while it still holds this claim's lease (ARGV[1]):
 * an entry removed meanwhile (uninstall) is not written back, one rescheduled by a repair or
 * re-claimed by another dispatcher after the lease keeps what they wrote. ARGV[2…]: (key index,
 * member, next due) triples.
 */
const RESCHEDULE = `
local lease = tonumber(ARGV[1])
local n = 0
for j = 2, #ARGV, 3 do
  local key = KEYS[tonumber(ARGV[j])]
  local score = redis.call('ZSCORE', key, ARGV[j + 1])
  if score and tonumber(score) == lease then
    redis.call('ZADD', key, 'XX', ARGV[j + 2], ARGV[j + 1])
    n = n + 1
  end
end
return n
`;

/**
 * The poll schedules: one sorted-set entry per scheduled installation (member its id, score its
 * next due time), in its partition's slot, in the set of its connector. About 100 bytes per
 * installation where a BullMQ job scheduler cost ~1.7 KB (its hash, its next delayed job, its
 * share of the queue's sets and event stream); removing one is one ZREM, never a queue scan.
 */
export class PollScheduleStore {
  private readonly names: PollScheduleKeys;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    this.names = pollScheduleKeys(keys);
  }

  get partitions(): number[] {
    return this.keys.partitions.all();
  }

  /** Writes (or moves) the installation's entry. */
  async set(installationId: string, connector: string, due: number): Promise<void> {
    await this.redis.zadd(this.names.pollScheduleOf(installationId, connector), due, installationId);
  }

  /** Moves the entry only if it exists (a repair must not resurrect one uninstall just removed). */
  async move(installationId: string, connector: string, due: number): Promise<boolean> {
    return (await this.redis.zadd(this.names.pollScheduleOf(installationId, connector), 'XX', 'CH', due, installationId)) === 1;
  }

  /** The installation's entry among `connectors`' sets (one round trip: they share its slot). */
  async find(installationId: string, connectors: readonly string[]): Promise<{ connector: string; due: number } | undefined> {
    if (connectors.length === 0) return undefined;
    const pipeline = this.redis.pipeline();
    for (const c of connectors) pipeline.zscore(this.names.pollScheduleOf(installationId, c), installationId);
    const replies = (await pipeline.exec()) ?? [];
    for (const [i, [err, score]] of replies.entries()) {
      if (err) throw err;
      const connector = connectors[i];
      if (typeof score === 'string' && connector !== undefined) return { connector, due: Number(score) };
    }
    return undefined;
  }

  /** Removes the installation's entry from each of `connectors`' sets: one round trip, O(1) in the fleet. */
  async remove(installationId: string, connectors: readonly string[]): Promise<number> {
    if (connectors.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const c of connectors) pipeline.zrem(this.names.pollScheduleOf(installationId, c), installationId);
    let removed = 0;
    for (const [err, n] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      removed += Number(n);
    }
    return removed;
  }

  /** Every entry of one connector in one partition, a batch at a time (ZSCAN: may repeat an entry, misses none present throughout). */
  async *entries(k: number, connector: string, count = 500): AsyncGenerator<{ installationId: string; due: number }[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.zscan(this.names.pollSchedule(k, connector), cursor, 'COUNT', count);
      const batch: { installationId: string; due: number }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) batch.push({ installationId: flat[i] as string, due: Number(flat[i + 1]) });
      if (batch.length) yield batch;
      cursor = next;
    } while (cursor !== '0');
  }

  /**
   * Claims the due entries of partitions `ks` (up to `limit` each) for `connectors`: one script
   * per partition, sent together (one pipeline on a single server; in parallel on a Cluster, where
   * the partitions are on several nodes). A partition whose script failed gives its error.
   */
  async claim(ks: readonly number[], connectors: readonly string[], now: number, lease: number, limit: number): Promise<Array<Claim | Error>> {
    const keysOf = (k: number) => connectors.map((c) => this.names.pollSchedule(k, c));
    const parse = (reply: unknown): Claim => {
      const [flat, earliest] = reply as [string[], string | null];
      const claimed: ClaimedEntry[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const connector = connectors[Number(flat[i]) - 1];
        if (connector !== undefined) claimed.push({ connector, installationId: flat[i + 1] as string });
      }
      return { claimed, earliest: earliest === null ? undefined : Number(earliest) };
    };
    const args = [String(now), String(lease), String(limit)];
    if (this.redis.isCluster) {
      return Promise.all(ks.map((k) => this.redis.eval(CLAIM, connectors.length, ...keysOf(k), ...args).then(parse, (err: unknown) => err as Error)));
    }
    const pipeline = this.redis.pipeline();
    for (const k of ks) pipeline.eval(CLAIM, connectors.length, ...keysOf(k), ...args);
    const replies = await pipeline.exec();
    return ks.map((_, i) => {
      const [err, reply] = replies?.[i] ?? [new Error('no reply'), null];
      return err ?? parse(reply);
    });
  }

  /**
   * Sets claimed entries to their next due times, where they still hold `lease` (RESCHEDULE): one
   * script per partition, sent together as the claims are. A partition whose script failed gives its error.
   */
  async reschedule(
    partitions: ReadonlyArray<{ k: number; entries: ReadonlyArray<ClaimedEntry & { next: number }> }>,
    connectors: readonly string[],
    lease: number,
  ): Promise<Array<number | Error>> {
    const index = new Map(connectors.map((c, i) => [c, String(i + 1)]));
    const calls = partitions
      .filter((p) => p.entries.length > 0)
      .map((p) => {
        const argv = [String(lease)];
        for (const e of p.entries) {
          const i = index.get(e.connector);
          if (i !== undefined) argv.push(i, e.installationId, String(e.next));
        }
        return [RESCHEDULE, connectors.length, ...connectors.map((c) => this.names.pollSchedule(p.k, c)), ...argv] as const;
      });
    if (calls.length === 0) return [];
    if (this.redis.isCluster) {
      return Promise.all(calls.map((args) => this.redis.eval(...args).then(Number, (err: unknown) => err as Error)));
    }
    const pipeline = this.redis.pipeline();
    for (const args of calls) pipeline.eval(...args);
    const replies = await pipeline.exec();
    return calls.map((_, i) => {
      const [err, reply] = replies?.[i] ?? [new Error('no reply'), null];
      return err ?? Number(reply);
    });
  }
}

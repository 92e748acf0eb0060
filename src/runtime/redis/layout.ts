import type { Redis } from 'ioredis';
import { scanKeys } from './cluster-safe';
import { createPartitions, DEFAULT_PARTITION_COUNT, MAX_PARTITION_COUNT } from './partitions';

/**
 * The key layout the data in Redis was written with, recorded beside it (`<prefix>:layout`, a hash
 * of `version` and `partitions`) when it is first created, and checked by every process at start.
 *
 * Layout 1 (before issue 16) kept an installation's keys under `<prefix>:inst:<id>…`. Layout 2
 * moves them into the installation's partition, `<prefix>:{<prefix>:p<k>}:inst:<id>…`, so that
 * they share a Cluster hash slot. A single server or Sentinel primary holding layout 1 is migrated
 * at start (RENAME keeps values and TTLs); Cluster was never supported with layout 1, so it has
 * nothing to migrate.
 *
 * Layout 3 writes events only to the partition streams: layout 2 also kept a stream per
 * installation (`…:inst:<id>:events`), which the migration from 2 deletes (its events are all in
 * the partition's stream too). Layout 2 data (single server, Sentinel or Cluster) is migrated at start.
 *
 * The number of partitions is chosen once: REDIS_PARTITIONS (default 16) when the record is made;
 * afterwards the recorded number rules, and a different REDIS_PARTITIONS is refused (moving
 * installations between partitions would need a migration this version does not have).
 */
export const LAYOUT_VERSION = 3;

export function layoutKey(prefix: string): string {
  return `${prefix}:layout`;
}

/** The configured partitions contradict the recorded ones, or the data is from a newer layout: main exits 2. */
export class LayoutMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutMismatchError';
  }
}

export interface Layout {
  version: number;
  partitions: number;
  /** Set when this call recorded the layout (fresh data, or just migrated). */
  created: boolean;
  /**
   * Keys migrated by this call: layout-1 keys renamed into their partitions (the platform-wide
   * event stream counts as one), layout-2 per-installation event streams deleted.
   */
  migratedKeys: number;
}

async function readLayout(redis: Redis, prefix: string): Promise<{ version: number; partitions: number } | undefined> {
  const raw = await redis.hgetall(layoutKey(prefix));
  if (raw['version'] === undefined && raw['partitions'] === undefined) return undefined;
  const version = Number(raw['version']);
  const partitions = Number(raw['partitions']);
  if (!Number.isInteger(version) || !Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITION_COUNT) {
    throw new LayoutMismatchError(`${layoutKey(prefix)} holds an unreadable layout record (${JSON.stringify(raw)}); refusing to guess where the data lives`);
  }
  return { version, partitions };
}

function check(recorded: { version: number; partitions: number }, configured: number | undefined, prefix: string): void {
  if (recorded.version > LAYOUT_VERSION) {
    throw new LayoutMismatchError(
      `the data under KEY_PREFIX=${prefix} was written with key layout ${recorded.version}; this version knows layout ${LAYOUT_VERSION}. Run the newer version.`,
    );
  }
  if (configured !== undefined && configured !== recorded.partitions) {
    throw new LayoutMismatchError(
      [
        `REDIS_PARTITIONS=${configured}, but the data under KEY_PREFIX=${prefix} was created with ${recorded.partitions} partitions (${layoutKey(prefix)}).`,
        'The number of partitions cannot change without moving every installation, and this version has no such migration.',
        `Unset REDIS_PARTITIONS or set it to ${recorded.partitions}.`,
      ].join('\n'),
    );
  }
}

/**
 * Renames every layout-1 key of an installation (`<prefix>:inst:<id>` and `<prefix>:inst:<id>:…`)
 * into its partition. Idempotent and safe to run from two processes at once: a key another
 * process already moved is gone from the old name (RENAME answers "no such key", skipped).
 */
async function migrateFromLayout1(redis: Redis, prefix: string, partitions: number): Promise<number> {
  const parts = createPartitions(prefix, partitions);
  const old = `${prefix}:inst:`;
  let moved = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${old}*`, 'COUNT', 1_000);
    cursor = next;
    for (const key of keys) {
      const rest = key.slice(old.length);
      const id = rest.split(':')[0] ?? '';
      if (id === '') continue;
      try {
        await redis.rename(key, `${parts.spaceOf(id)}:inst:${rest}`);
        moved += 1;
      } catch (err) {
        if (!/no such key/i.test((err as Error).message)) throw err;
      }
    }
  } while (cursor !== '0');
  return moved + (await migrateGlobalStream(redis, prefix, parts));
}

/**
 * Layout 1's platform-wide stream `<prefix>:events` → each entry into its installation's partition
 * stream (the name platform/event-keys.ts builds: `<partition space>:events`), with its id, in
 * order, so a reader's old cursor (a stream id) still marks the same place. An entry whose id a
 * partition stream has passed already (another process migrating at once) is skipped.
 */
async function migrateGlobalStream(redis: Redis, prefix: string, parts: ReturnType<typeof createPartitions>): Promise<number> {
  const global = `${prefix}:events`;
  if ((await redis.exists(global)) === 0) return 0;
  let after = '-';
  for (;;) {
    const entries = await redis.xrange(global, after, '+', 'COUNT', 1_000);
    for (const [id, flat] of entries) {
      const installationId = flat[flat.indexOf('installationId') + 1] ?? '';
      try {
        await redis.xadd(`${parts.spaceOf(installationId)}:events`, id, ...flat);
      } catch (err) {
        if (!/equal or smaller/i.test((err as Error).message)) throw err;
      }
    }
    const last = entries.at(-1);
    if (!last || entries.length < 1_000) break;
    after = `(${last[0]}`;
  }
  await redis.del(global);
  return 1;
}

/**
 * Layout 2 → 3: deletes every installation's own event stream (`<prefix>:{<prefix>:p<k>}:inst:<id>:events`,
 * the name layout 2's platform/event-keys.ts built); each of its events is also in the partition's
 * stream, written in the same MULTI. One SCAN over the keyspace (every primary on a Cluster), once:
 * afterwards the layout record says 3 and no process scans again. Idempotent, and safe from two
 * processes at once (DEL of a key already gone counts nothing). Uninstall deletes a stream a process of
 * the older version writes after this ran.
 */
async function dropInstallationStreams(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix}:{${prefix}:p*}:inst:*:events`;
  let dropped = 0;
  let cursor = '0';
  do {
    const [next, keys] = await scanKeys(redis, cursor, pattern, 1_000);
    cursor = next;
    if (keys.length === 0) continue;
    // A batch's keys lie in as many slots as there are partitions: one DEL each on a Cluster, sent together.
    dropped += redis.isCluster ? (await Promise.all(keys.map((key) => redis.del(key)))).reduce((a, b) => a + b, 0) : await redis.del(...keys);
  } while (cursor !== '0');
  return dropped;
}

/** A family's own move of its layout-1 keys (named beside its repository); returns how many keys it moved. */
export type LayoutMigration = (redis: Redis) => Promise<number>;

/**
 * The layout of the data under `prefix`, made current: recorded if there is none, after migrating
 * from the layout it was written with (none recorded: layout 1, or fresh data) step by step: from
 * 1, layout-1 keys if any (the installations' here); from 1 or 2, other families' layout-1 names
 * (`migrations`) and the per-installation event streams. Checked against `configured` (REDIS_PARTITIONS) if there is one.
 * Throws LayoutMismatchError for a configuration that contradicts the data; Redis errors propagate.
 */
export async function ensureLayout(redis: Redis, prefix: string, configured: number | undefined, migrations: readonly LayoutMigration[] = []): Promise<Layout> {
  const recorded = await readLayout(redis, prefix);
  if (recorded && recorded.version === LAYOUT_VERSION) {
    check(recorded, configured, prefix);
    return { ...recorded, created: false, migratedKeys: 0 };
  }
  if (recorded) check(recorded, configured, prefix);
  const partitions = recorded?.partitions ?? configured ?? DEFAULT_PARTITION_COUNT;
  const from = recorded?.version ?? 1;
  let migratedKeys = 0;
  if (from < 2) migratedKeys += await migrateFromLayout1(redis, prefix, partitions);
  // The families' own moves run from layout 2 too: versions that had already recorded layout 2 still
  // wrote the fan-out state and the grants' token sets under their layout-1 names. Idempotent (a key
  // already moved is gone from its old name). Not on a Cluster: RENAME cannot cross slots there
  // (CROSSSLOT even for a key that does not exist), and those names never worked on one.
  if (from < 3 && !redis.isCluster) for (const migrate of migrations) migratedKeys += await migrate(redis);
  if (from < 3) migratedKeys += await dropInstallationStreams(redis, prefix);
  // Two processes starting on fresh data: the first record wins and the other checks against it.
  const [[, wasNew]] = ((await redis.multi().hsetnx(layoutKey(prefix), 'partitions', String(partitions)).hset(layoutKey(prefix), 'version', String(LAYOUT_VERSION)).exec()) ?? [[null, 0]]) as [
    [Error | null, number],
  ];
  if (wasNew !== 1) {
    const winner = await readLayout(redis, prefix);
    if (winner) check(winner, configured, prefix);
    return { version: LAYOUT_VERSION, partitions: winner?.partitions ?? partitions, created: false, migratedKeys };
  }
  return { version: LAYOUT_VERSION, partitions, created: true, migratedKeys };
}

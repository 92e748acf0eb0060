import type { ChainableCommander, Redis } from 'ioredis';
import { scanKeys } from './cluster-safe';

/** One page of a listing: `next` is the cursor for what follows, null at the end. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

// The member is `<createdAt ISO>|<id>`: ISO timestamps of one length sort as text, so the set's
// lexicographic order is creation order, ties broken by id.
export const memberOf = (createdAt: string, id: string): string => `${createdAt}|${id}`;
const idOf = (member: string): string => member.slice(member.indexOf('|') + 1);

// A cursor only ever bounds a range (we add the `(` ourselves), so any short visible text is safe.
const POSITION = /^[\x21-\x7e]{1,300}$/;

/** The opaque cursor of a listing (the last position seen), or undefined when it is not one. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  const position = Buffer.from(cursor, 'base64url').toString('utf8');
  return POSITION.test(position) ? position : undefined;
}

export const encodeCursor = (position: string): string => Buffer.from(position, 'utf8').toString('base64url');

/**
 * The same paging over a list already in memory (a few records per key: an installation's devices,
 * one location's installations), positions given by `positionOf` in the order the list is sorted.
 */
export function pageInMemory<T>(sorted: readonly T[], positionOf: (item: T) => string, cursor: string | undefined, limit: number): Page<T> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && after === undefined) throw new RangeError('not a cursor of this listing');
  const rest = after === undefined ? sorted : sorted.filter((item) => positionOf(item) > after);
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rest.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null };
}

export const isPageCursor = (cursor: string): boolean => decodeCursor(cursor) !== undefined;

/**
 * A listing index: a sorted set whose scores are all 0, read with ZRANGE BYLEX from just after the
 * last member seen. The cursor is a position in a total order, not an offset, so a record present
 * for the whole walk is returned exactly once however many are inserted or deleted meanwhile
 * (SSCAN/HSCAN cursors may repeat an element and cannot honour a page size); records created during
 * the walk sort after it and are seen at its end.
 */
export class SortedIndex {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  add(tx: ChainableCommander, createdAt: string, id: string): ChainableCommander {
    return tx.zadd(this.key, 0, memberOf(createdAt, id));
  }

  remove(tx: ChainableCommander, createdAt: string, id: string): ChainableCommander {
    return tx.zrem(this.key, memberOf(createdAt, id));
  }

  /**
   * Indexes records written before this index existed, once per deployment (`marker` records that it
   * ran): a SCAN over the records' keys, each keyed by `idOf(key)` (undefined: not a record) and
   * dated by `createdAtOf`. ZADD is idempotent, so a backfill that died half-way simply runs again.
   */
  async backfillOnce(
    marker: string,
    pattern: string,
    idOf: (key: string) => string | undefined,
    createdAtOf: (id: string) => Promise<string | undefined>,
  ): Promise<void> {
    const redis = this.redis;
    async function* scanned(): AsyncGenerator<string[]> {
      let cursor = '0';
      do {
        const [nextCursor, keys] = await scanKeys(redis, cursor, pattern, 500);
        cursor = nextCursor;
        yield keys.map(idOf).filter((id): id is string => id !== undefined);
      } while (cursor !== '0');
    }
    await this.backfillIdsOnce(marker, scanned(), createdAtOf);
  }

  /** As backfillOnce, from batches of ids (a set that already lists every record). */
  async backfillIdsOnce(marker: string, batches: AsyncIterable<string[]>, createdAtOf: (id: string) => Promise<string | undefined>): Promise<void> {
    if ((await this.redis.exists(marker)) === 1) return;
    await this.backfillIds(batches, createdAtOf);
    await this.redis.set(marker, new Date().toISOString());
  }

  /** Indexes every id of `batches` (idempotent). */
  async backfillIds(batches: AsyncIterable<string[]> | Iterable<string[]>, createdAtOf: (id: string) => Promise<string | undefined>): Promise<void> {
    for await (const ids of batches) {
      const dated = await Promise.all(ids.map(async (id) => ({ id, createdAt: await createdAtOf(id) })));
      const members = dated.flatMap((d) => (d.createdAt === undefined ? [] : [0, memberOf(d.createdAt, d.id)]));
      if (members.length > 0) await this.redis.zadd(this.key, ...members);
    }
  }

  /** Every id, in creation order (for the callers that want the whole listing). */
  async ids(): Promise<string[]> {
    return (await this.redis.zrange(this.key, '0', '-1')).map(idOf);
  }

  /** Ids of one page: after `cursor` (a value this returned as `next`), at most `limit`. */
  async page(cursor: string | undefined, limit: number): Promise<{ ids: string[]; next: string | null }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && after === undefined) throw new RangeError('not a cursor of this listing');
    const members = await this.redis.zrangebylex(this.key, after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit + 1);
    const shown = members.slice(0, limit);
    const last = shown.at(-1);
    return {
      ids: shown.map(idOf),
      next: members.length > limit && last !== undefined ? encodeCursor(last) : null,
    };
  }
}

/**
 * Loads the records of a page of ids, dropping those deleted since the index was read (a delete
 * removes the record and its member in one transaction, so this only happens between the two reads).
 */
export async function loadPage<T>(page: { ids: string[]; next: string | null }, load: (id: string) => Promise<T | undefined>): Promise<Page<T>> {
  const loaded: (T | undefined)[] = await Promise.all(page.ids.map(load));
  const items = loaded.filter((x): x is T => x !== undefined);
  return { items, next: page.next };
}

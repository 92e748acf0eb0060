import type { ChainableCommander, Redis } from 'ioredis';
import { loadPage, memberOf, pageInMemory, SortedIndex } from '../runtime';
import type { Keys, Page } from '../runtime';
import { installationKeys, type InstallationKeys } from './installation-keys';

export type InstallationStatus = 'pending' | 'linked' | 'reauth_required';

export interface Installation {
  id: string;
  connector: string;
  locationId: string;
  status: InstallationStatus;
  createdAt: string;
  updatedAt: string;
  linkedAt: string | undefined;
}

/** Stored only as a hash; kept out of `Installation` so it cannot leak into a response by accident. */
interface StoredInstallation extends Installation {
  tokenHash: string;
}

export type CreateResult = { created: true; installation: Installation } | { created: false; existingId: string };

/*
 * Cluster-safe (issue 16): every script below touches keys of one hash slot. The record (and its
 * tokens) live in the installation's partition; the fleet and location indexes and the
 * singleInstance slot are account-wide keys of their own. They are kept consistent without a
 * cross-slot transaction by ordering the writes and repairing on read:
 * - create writes the record first, then claims the singleInstance slot, then the indexes;
 * - delete removes the record first, then the index entries, then frees the slot;
 * - an index entry whose record is gone is skipped by every read (and dropped by the next delete);
 *   a slot naming a record that is gone is taken over by the next create (CLAIM_SCRIPT).
 *
 * Indexes are sorted sets (issue 16.4): the fleet index `<createdAt>|<id>` answers listing, paging
 * and "every installation", so the plain set of ids older versions also kept is retired; a
 * location's ids are a sorted set too, listpack-encoded while small (~120 B for one id, where a set
 * of strings is a hash table of ~250 B on Redis 7.0). What older versions wrote is moved over on
 * read, idempotently, taking out of the old key only what was moved: an older process still running
 * during a rolling deploy may add to it meanwhile, and the next read moves that too.
 */

// Claims the singleInstance slot for ARGV[1] unless it names another installation whose record
// exists (KEYS[2] is that record's key, passed by the caller after reading the slot). Returns the
// holder: ARGV[1] when claimed.
const CLAIM_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] or holder == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return holder
`;

// Frees the singleInstance slot only if it still names this installation.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// The record and its tokens, one partition: a delete that finds no record reports false.
const DELETE_RECORD_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;

const STATUSES: readonly InstallationStatus[] = ['pending', 'linked', 'reauth_required'];

/**
 * `id` is the one the record's key names: records no longer store it (64 B an installation; issue
 * 16.4), and those written before, with it, read the same.
 */
function fromHash(hash: Record<string, string>, id: string): StoredInstallation | undefined {
  const { connector, locationId, status, createdAt, updatedAt, tokenHash } = hash;
  if (!id || !connector || !locationId || !status || !createdAt || !updatedAt || !tokenHash) return undefined;
  if (!STATUSES.includes(status as InstallationStatus)) return undefined;
  return {
    id,
    connector,
    locationId,
    status: status as InstallationStatus,
    createdAt,
    updatedAt,
    linkedAt: hash['linkedAt'] || undefined,
    tokenHash,
  };
}

function publicView(stored: StoredInstallation): Installation {
  const { tokenHash: _omit, ...rest } = stored;
  return rest;
}

/** An installation from its hash as HGETALL returns it (for callers that read it in a pipeline). */
export function installationFromHash(hash: Record<string, string>, id: string): Installation | undefined {
  const stored = fromHash(hash, id);
  return stored && publicView(stored);
}

export class InstallationStore {
  private readonly keys: InstallationKeys;
  private readonly index: SortedIndex;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    /** The provider tokens' key (cloud's family), deleted in the same script as the record. */
    private readonly tokensKey: (installationId: string) => string,
  ) {
    this.keys = installationKeys(keySpace);
    this.index = new SortedIndex(redis, this.keys.installationsIndex());
  }

  /** One page of every installation in creation order (see SortedIndex for what the cursor guarantees). */
  async page(cursor: string | undefined, limit: number, filter: { locationId?: string } = {}): Promise<Page<Installation>> {
    if (filter.locationId !== undefined) {
      // One location holds a handful: its index is read whole, in the same order and cursor positions.
      return pageInMemory(await this.list(filter), (i) => memberOf(i.createdAt, i.id), cursor, limit);
    }
    await this.retireLegacyFleetSet();
    return loadPage(await this.index.page(cursor, limit), (id) => this.get(id));
  }

  /**
   * Moves the ids of the fleet set older versions kept (and versions before the index listed only
   * there) into the index, a SSCAN batch at a time, then drops them from the set: one EXISTS when
   * there is nothing left to move. Run by the first listing (at start, by the schedule repair), not
   * at boot: a fleet of 100,000 takes one HGET each, once.
   */
  private async retireLegacyFleetSet(): Promise<void> {
    const legacy = this.keys.legacyInstallationsAll();
    if ((await this.redis.exists(legacy)) === 0) return;
    let at = '0';
    do {
      const [next, ids] = await this.redis.sscan(legacy, at, 'COUNT', 1000);
      at = next;
      if (ids.length === 0) continue;
      // An id whose record is gone (a delete that crashed half-way) is not indexed, only dropped.
      await this.index.backfillIds(
        [ids],
        async (id) => (await this.redis.hget(this.keys.installation(id), 'createdAt')) ?? undefined,
      );
      // SSCAN returns every member present throughout, whatever is removed meanwhile.
      await this.redis.srem(legacy, ...ids);
    } while (at !== '0');
    await this.redis.del(this.keys.legacyInstallationsIndexBackfilled());
  }

  /** The ids indexed at a location, moving those an older version left in its set (see above). */
  private async idsAtLocation(locationId: string): Promise<string[]> {
    const legacy = this.keys.legacyInstallationsAtLocation(locationId);
    const index = this.keys.installationsAtLocation(locationId);
    const [ids, old] = await Promise.all([this.redis.zrange(index, '0', '-1'), this.redis.smembers(legacy)]);
    if (old.length === 0) return ids;
    await this.redis.zadd(index, ...old.flatMap((id) => [0, id]));
    await this.redis.srem(legacy, ...old);
    return [...new Set([...ids, ...old])];
  }

  async create(input: {
    id: string;
    connector: string;
    locationId: string;
    singleInstance: boolean;
    tokenHash: string;
    now: Date;
  }): Promise<CreateResult> {
    const at = input.now.toISOString();
    const fields: Record<string, string> = {
      connector: input.connector,
      locationId: input.locationId,
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      tokenHash: input.tokenHash,
    };
    const record = this.keys.installation(input.id);
    await this.redis.hset(record, fields);
    if (input.singleInstance) {
      const holder = await this.claimSingleInstance(input.connector, input.locationId, input.id);
      if (holder !== input.id) {
        // Lost the location to a live installation: this record was never visible, take it back.
        await this.redis.del(record);
        return { created: false, existingId: holder };
      }
    }
    await this.addToIndexes(input.id, input.locationId, memberOf(at, input.id));
    const stored = fromHash(fields, input.id);
    if (!stored) throw new Error('installation record failed its own validation');
    return { created: true, installation: publicView(stored) };
  }

  /**
   * The installation that holds the singleInstance slot after this call: `id` if it claimed it, or
   * the live holder. A holder whose record is gone (a create or delete that crashed half-way) is
   * replaced. Racing claims: the slot is read, then replaced only if it still names what was read.
   */
  private async claimSingleInstance(connector: string, locationId: string, id: string): Promise<string> {
    const slot = this.keys.singleInstance(connector, locationId);
    for (let attempt = 0; attempt < 5; attempt++) {
      const holder = await this.redis.get(slot);
      if (holder !== null && holder !== id && (await this.redis.exists(this.keys.installation(holder))) === 1) {
        // Repair on read: a holder whose create crashed before its index entries is listed again.
        await this.addToIndexes(holder, locationId, undefined);
        return holder;
      }
      const claimed = (await this.redis.eval(CLAIM_SCRIPT, 1, slot, id, holder ?? '')) as string;
      if (claimed === id) return id;
      // Someone claimed it between our read and our write: look at the new holder.
    }
    throw new Error(`singleInstance slot ${connector} at a location is contended; try again`);
  }

  /** The index entries of an installation; each an idempotent write of one key (no cross-slot transaction). */
  private async addToIndexes(id: string, locationId: string, member: string | undefined): Promise<void> {
    const entries: Promise<unknown>[] = [this.redis.zadd(this.keys.installationsAtLocation(locationId), 0, id)];
    if (member !== undefined) entries.push(this.redis.zadd(this.keys.installationsIndex(), 0, member));
    else {
      const createdAt = await this.redis.hget(this.keys.installation(id), 'createdAt');
      if (createdAt) entries.push(this.redis.zadd(this.keys.installationsIndex(), 0, memberOf(createdAt, id)));
    }
    await Promise.all(entries);
  }

  async get(id: string): Promise<Installation | undefined> {
    const stored = await this.getStored(id);
    return stored && publicView(stored);
  }

  /** The stored hash of the installation's own access token, for constant-time checks. */
  async getWithTokenHash(id: string): Promise<{ installation: Installation; tokenHash: string } | undefined> {
    const stored = await this.getStored(id);
    return stored && { installation: publicView(stored), tokenHash: stored.tokenHash };
  }

  async list(filter: { locationId?: string } = {}): Promise<Installation[]> {
    let ids: string[];
    if (filter.locationId !== undefined) ids = await this.idsAtLocation(filter.locationId);
    else {
      await this.retireLegacyFleetSet();
      ids = await this.index.ids();
    }
    if (ids.length === 0) return [];
    // One read per record, not one pipeline: the records live in many partitions (hash slots).
    const hashes = await Promise.all(ids.map((id) => this.redis.hgetall(this.keys.installation(id))));
    const out: Installation[] = [];
    for (const [i, hash] of hashes.entries()) {
      const stored = fromHash(hash, ids[i] ?? '');
      if (stored) out.push(publicView(stored));
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** False when the installation no longer exists (nothing is written then). */
  async setStatus(id: string, status: InstallationStatus, now: Date): Promise<boolean> {
    const fields: Record<string, string> = { status, updatedAt: now.toISOString() };
    if (status === 'linked') fields['linkedAt'] = now.toISOString();
    // HSET on a missing hash would resurrect a deleted installation as a fragment; guard with EXISTS.
    const written = await this.redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) return 1 end return 0`,
      1,
      this.keys.installation(id),
      ...Object.entries(fields).flat(),
    );
    return written === 1;
  }

  /**
   * Moves the installation to `status` only if it is not there already, atomically: of two
   * processes racing to mark it, exactly one gets true (and records the event).
   */
  async changeStatus(id: string, status: InstallationStatus, now: Date): Promise<boolean> {
    const written = await this.redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then
         redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updatedAt', ARGV[2]) return 1 end return 0`,
      1,
      this.keys.installation(id),
      status,
      now.toISOString(),
    );
    return written === 1;
  }

  /** Removes the record, its tokens and its index entries. False when it did not exist. */
  async delete(installation: Installation): Promise<boolean> {
    const deleted = await this.redis.eval(DELETE_RECORD_SCRIPT, 2, this.keys.installation(installation.id), this.tokensKey(installation.id));
    // The index entries and the slot go even when the record was gone already: a delete that
    // crashed after the record is finished by the next one.
    await Promise.all([
      this.redis.zrem(this.keys.installationsAtLocation(installation.locationId), installation.id),
      this.redis.zrem(this.keys.installationsIndex(), memberOf(installation.createdAt, installation.id)),
      // Not yet moved by a read (see retireLegacyFleetSet): gone from the old forms too, not moved later as a ghost.
      this.redis.srem(this.keys.legacyInstallationsAll(), installation.id),
      this.redis.srem(this.keys.legacyInstallationsAtLocation(installation.locationId), installation.id),
    ]);
    await this.redis.eval(RELEASE_SCRIPT, 1, this.keys.singleInstance(installation.connector, installation.locationId), installation.id);
    return deleted === 1;
  }

  private async getStored(id: string): Promise<StoredInstallation | undefined> {
    const hash = await this.redis.hgetall(this.keys.installation(id));
    return fromHash(hash, id);
  }

  /** Queues the installation's HGETALL on `pipeline` (a poll's first reads share one round trip); see `installationFromHash`. */
  queueRead(pipeline: ChainableCommander, id: string): void {
    pipeline.hgetall(this.keys.installation(id));
  }
}

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

// Atomic so that two racing creates at one location cannot both win the singleInstance slot.
const CREATE_SCRIPT = `
if ARGV[2] == '1' then
  local existing = redis.call('GET', KEYS[4])
  if existing then return {0, existing} end
  redis.call('SET', KEYS[4], ARGV[1])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[5], 0, ARGV[3])
return {1, ARGV[1]}
`;

// Frees the singleInstance slot only if it still names this installation.
const DELETE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
if redis.call('GET', KEYS[5]) == ARGV[1] then redis.call('DEL', KEYS[5]) end
redis.call('ZREM', KEYS[6], ARGV[2])
return 1
`;

const STATUSES: readonly InstallationStatus[] = ['pending', 'linked', 'reauth_required'];

function fromHash(hash: Record<string, string>): StoredInstallation | undefined {
  const { id, connector, locationId, status, createdAt, updatedAt, tokenHash } = hash;
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
export function installationFromHash(hash: Record<string, string>): Installation | undefined {
  const stored = fromHash(hash);
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
      // One location holds a handful: its set is read whole, in the same order and cursor positions.
      return pageInMemory(await this.list(filter), (i) => memberOf(i.createdAt, i.id), cursor, limit);
    }
    const redis = this.redis;
    const all = this.keys.installationsAll();
    // Installations made before the index existed are listed in the set; index them once.
    async function* batches(): AsyncGenerator<string[]> {
      let at = '0';
      do {
        const [next, ids] = await redis.sscan(all, at, 'COUNT', 1000);
        at = next;
        yield ids;
      } while (at !== '0');
    }
    // Create and delete change the set and the index in one script, so only installations made
    // before the index existed make the two disagree: the check costs two O(1) reads, no write.
    const counts = await redis.multi().zcard(this.keys.installationsIndex()).scard(all).exec();
    const [indexed, listed] = (counts ?? []).map(([, n]) => Number(n));
    // Once only (the marker): an id whose record is gone stays unindexed and must not cost a scan per page.
    if ((indexed ?? 0) < (listed ?? 0)) {
      await this.index.backfillIdsOnce(this.keys.installationsIndexBackfilled(), batches(), async (id) => (await this.get(id))?.createdAt);
    }
    return loadPage(await this.index.page(cursor, limit), (id) => this.get(id));
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
      id: input.id,
      connector: input.connector,
      locationId: input.locationId,
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      tokenHash: input.tokenHash,
    };
    const result = (await this.redis.eval(
      CREATE_SCRIPT,
      5,
      this.keys.installation(input.id),
      this.keys.installationsAll(),
      this.keys.installationsAtLocation(input.locationId),
      this.keys.singleInstance(input.connector, input.locationId),
      this.keys.installationsIndex(),
      input.id,
      input.singleInstance ? '1' : '0',
      memberOf(at, input.id),
      ...Object.entries(fields).flat(),
    )) as [number, string];
    if (result[0] === 0) return { created: false, existingId: result[1] };
    const stored = fromHash(fields);
    if (!stored) throw new Error('installation record failed its own validation');
    return { created: true, installation: publicView(stored) };
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
    const ids = await this.redis.smembers(
      filter.locationId === undefined ? this.keys.installationsAll() : this.keys.installationsAtLocation(filter.locationId),
    );
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.installation(id));
    const results = (await pipeline.exec()) ?? [];
    const out: Installation[] = [];
    for (const [err, hash] of results) {
      if (err) throw err;
      const stored = fromHash(hash as Record<string, string>);
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
    const deleted = await this.redis.eval(
      DELETE_SCRIPT,
      6,
      this.keys.installation(installation.id),
      this.tokensKey(installation.id),
      this.keys.installationsAll(),
      this.keys.installationsAtLocation(installation.locationId),
      this.keys.singleInstance(installation.connector, installation.locationId),
      this.keys.installationsIndex(),
      installation.id,
      memberOf(installation.createdAt, installation.id),
    );
    return deleted === 1;
  }

  private async getStored(id: string): Promise<StoredInstallation | undefined> {
    const hash = await this.redis.hgetall(this.keys.installation(id));
    return fromHash(hash);
  }

  /** Queues the installation's HGETALL on `pipeline` (a poll's first reads share one round trip); see `installationFromHash`. */
  queueRead(pipeline: ChainableCommander, id: string): void {
    pipeline.hgetall(this.keys.installation(id));
  }
}

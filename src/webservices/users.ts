import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AppError, loadPage, SortedIndex } from '../runtime';
import type { Keys, Page } from '../runtime';
import { userKeys, type UserKeys } from './user-keys';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password';

export interface Location {
  id: string;
  name: string;
}

export interface User {
  id: string;
  username: string;
  locations: Location[];
  createdAt: string;
}

const storedSchema = z.object({
  id: z.string(),
  username: z.string(),
  passwordHash: z.string(),
  locations: z.array(z.object({ id: z.string(), name: z.string() })),
  createdAt: z.string(),
});

/** Usernames compare case-insensitively; the stored spelling is the one given at creation. */
export const normaliseUsername = (username: string): string => username.normalize('NFC').toLowerCase();

/** End-user accounts of the platform. Passwords are kept only as scrypt hashes. */
// Deletes the username's claim only while it still names this user (it may have been re-claimed).
const RELEASE_NAME = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class UserStore {
  private verifications = 0;
  private readonly index: SortedIndex;

  private readonly keys: UserKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = userKeys(keySpace.prefix);
    this.index = new SortedIndex(redis, this.keys.usersIndex());
  }

  async create(input: { username: string; password: string; locations: Location[] }, now: Date): Promise<User> {
    const id = randomUUID();
    const user: User = { id, username: input.username, locations: input.locations, createdAt: now.toISOString() };
    const passwordHash = await hashPassword(input.password);
    // The index entry, then the record, then the name: a name never points at a missing user, and
    // a crash leaves at most an index entry without a record, which listings skip. (Each is a key
    // of its own slot on a Cluster: no transaction spans them.)
    await this.index.add(this.redis.pipeline(), user.createdAt, id).exec();
    await this.redis.set(this.keys.user(id), JSON.stringify({ ...user, passwordHash }));
    const claimed = await this.redis.set(this.keys.userByName(normaliseUsername(input.username)), id, 'NX');
    if (claimed !== 'OK') {
      await this.redis.del(this.keys.user(id));
      await this.index.remove(this.redis.pipeline(), user.createdAt, id).exec();
      throw new AppError('conflict', { message: 'That username is taken.' });
    }
    return user;
  }

  /** One page of users in creation order (see SortedIndex for what the cursor guarantees). */
  async page(cursor: string | undefined, limit: number): Promise<Page<User>> {
    await this.index.backfillOnce(
      this.keys.usersIndexBackfilled(),
      this.keys.userPattern(),
      (key) => /:ws:user:([0-9a-f-]{36})$/.exec(key)?.[1],
      async (id) => (await this.get(id))?.createdAt,
    );
    return loadPage(await this.index.page(cursor, limit), (id) => this.get(id));
  }

  /** Removes the account and its username; false when it did not exist. Its grants are revoked by the caller first. */
  async delete(user: User): Promise<boolean> {
    // The record first (it is what authenticates), then its index entry and its name.
    const deleted = await this.redis.del(this.keys.user(user.id));
    await this.index.remove(this.redis.pipeline(), user.createdAt, user.id).exec();
    await this.redis.eval(RELEASE_NAME, 1, this.keys.userByName(normaliseUsername(user.username)), user.id);
    return deleted === 1;
  }

  async get(id: string): Promise<User | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const raw = await this.redis.get(this.keys.user(id));
    if (!raw) return undefined;
    const { passwordHash: _omit, ...user } = storedSchema.parse(JSON.parse(raw));
    return user;
  }

  /**
   * Passwords checked (scrypt runs, a missing user's included) since this store was built: what the
   * sign-in limiters exist to bound, observable by the tests that prove they do.
   */
  get passwordVerifications(): number {
    return this.verifications;
  }

  /** The user when the password matches; the same time is spent when the user does not exist. */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    const id = await this.redis.get(this.keys.userByName(normaliseUsername(username)));
    const raw = id ? await this.redis.get(this.keys.user(id)) : null;
    this.verifications++;
    if (!raw) {
      await burnPasswordCheck(password);
      return undefined;
    }
    const { passwordHash, ...user } = storedSchema.parse(JSON.parse(raw));
    return (await verifyPassword(password, passwordHash)) ? user : undefined;
  }
}

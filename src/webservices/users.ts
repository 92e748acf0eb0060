import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AppError } from '../runtime';
import type { Keys } from '../runtime';
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
export class UserStore {
  private verifications = 0;

  private readonly keys: UserKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = userKeys(keySpace.prefix);
  }

  async create(input: { username: string; password: string; locations: Location[] }, now: Date): Promise<User> {
    const id = randomUUID();
    const user: User = { id, username: input.username, locations: input.locations, createdAt: now.toISOString() };
    const passwordHash = await hashPassword(input.password);
    // The record first, then the name: a name never points at a missing user.
    await this.redis.set(this.keys.user(id), JSON.stringify({ ...user, passwordHash }));
    const claimed = await this.redis.set(this.keys.userByName(normaliseUsername(input.username)), id, 'NX');
    if (claimed !== 'OK') {
      await this.redis.del(this.keys.user(id));
      throw new AppError('conflict', { message: 'That username is taken.' });
    }
    return user;
  }

  async get(id: string): Promise<User | undefined> {
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

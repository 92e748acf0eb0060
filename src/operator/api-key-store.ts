import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hashToken, loadPage, randomToken, SortedIndex, tokenMatchesHash } from '../runtime';
import type { Keys, Page } from '../runtime';
import { apiKeyKeys, type ApiKeyKeys } from './api-key-keys';

export const API_KEY_SCOPES = ['read', 'full'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  id: string;
  name: string;
  scope: ApiKeyScope;
  createdAt: string;
  revokedAt: string | undefined;
}

const storedSchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(API_KEY_SCOPES),
  hash: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});

// `smk_<id>_<secret>`: the id finds the record in one read, the secret (256 bits) is what the
// stored SHA-256 is compared with. The prefix lets secret scanners recognise a leaked key.
const KEY_FORMAT = /^smk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
const DUMMY_HASH = hashToken('no such key');

/**
 * Named admin API keys, each `read` (GET and HEAD only) or `full`. A key is shown once, when made;
 * only its SHA-256 is stored (a 256-bit random secret needs no slow hash). Revoked keys keep their
 * record, marked, so a listing says when and a revoked key is told apart from a mistyped one in logs.
 */
export class ApiKeyStore {
  private readonly index: SortedIndex;
  private readonly keys: ApiKeyKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = apiKeyKeys(keySpace.prefix);
    this.index = new SortedIndex(redis, this.keys.apiKeys());
  }

  async create(input: { name: string; scope: ApiKeyScope }, now: Date): Promise<{ apiKey: ApiKey; key: string }> {
    const id = randomUUID().replaceAll('-', '');
    const key = `smk_${id}_${randomToken()}`;
    const createdAt = now.toISOString();
    const stored = { id, name: input.name, scope: input.scope, hash: hashToken(key), createdAt };
    // The index entry first, then the record (two keys, two Cluster slots, no transaction): a crash
    // between leaves an entry without a record, which listings skip.
    await this.index.add(this.redis.pipeline(), createdAt, id).exec();
    await this.redis.hset(this.keys.apiKey(id), stored);
    return { apiKey: { id, name: input.name, scope: input.scope, createdAt, revokedAt: undefined }, key };
  }

  /** The live key `presented` is, or undefined (unknown, malformed, wrong secret or revoked). */
  async verify(presented: string): Promise<ApiKey | undefined> {
    const match = KEY_FORMAT.exec(presented);
    const stored = match?.[1] ? await this.stored(match[1]) : undefined;
    // Compared even when there is nothing to compare with, so a miss costs what a hit does.
    const matches = tokenMatchesHash(presented, stored?.hash ?? DUMMY_HASH);
    return stored && matches && stored.revokedAt === undefined ? view(stored) : undefined;
  }

  /** False when there is no such key or it was revoked already. */
  async revoke(id: string, now: Date): Promise<boolean> {
    const stored = /^[0-9a-f]{32}$/.test(id) ? await this.stored(id) : undefined;
    if (!stored || stored.revokedAt !== undefined) return false;
    await this.redis.hset(this.keys.apiKey(id), 'revokedAt', now.toISOString());
    return true;
  }

  async page(cursor: string | undefined, limit: number): Promise<Page<ApiKey>> {
    return loadPage(await this.index.page(cursor, limit), async (id) => {
      const stored = await this.stored(id);
      return stored && view(stored);
    });
  }

  private async stored(id: string): Promise<z.output<typeof storedSchema> | undefined> {
    const parsed = storedSchema.safeParse(await this.redis.hgetall(this.keys.apiKey(id)));
    return parsed.success ? parsed.data : undefined;
  }
}

function view(s: z.output<typeof storedSchema>): ApiKey {
  return { id: s.id, name: s.name, scope: s.scope, createdAt: s.createdAt, revokedAt: s.revokedAt };
}

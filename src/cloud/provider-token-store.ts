import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';
import { evalEach, getMany, scanKeys } from '../runtime';
import type { Keys, SealedFamily, SealedRecord, SecretKeyring } from '../runtime';
import { tokenKeys, type TokenKeys } from './token-keys';

/** A third-party token set as we keep it. `expiresAt` is epoch milliseconds. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: number | undefined;
  scope: string | undefined;
  tokenType: string | undefined;
}

const tokenSetSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  expiresAt: z.number().optional(),
  scope: z.string().optional(),
  tokenType: z.string().optional(),
});

/**
 * What is sealed now: one-letter keys, absent fields left out (issue 16.4: tokens are the largest
 * record of an installation). Token sets sealed before, with the full names, open the same.
 */
const compactSchema = z.object({
  a: z.string().min(1),
  r: z.string().min(1).optional(),
  e: z.number().optional(),
  s: z.string().optional(),
  t: z.string().optional(),
});

function toPlaintext(tokens: TokenSet): string {
  // JSON.stringify leaves out the undefined ones.
  return JSON.stringify({ a: tokens.accessToken, r: tokens.refreshToken, e: tokens.expiresAt, s: tokens.scope, t: tokens.tokenType });
}

function fromPlaintext(plaintext: string): TokenSet {
  const value: unknown = JSON.parse(plaintext);
  const compact = compactSchema.safeParse(value);
  if (compact.success) {
    const { a, r, e, s, t } = compact.data;
    return { accessToken: a, refreshToken: r, expiresAt: e, scope: s, tokenType: t };
  }
  const full = tokenSetSchema.parse(value);
  return { accessToken: full.accessToken, refreshToken: full.refreshToken, expiresAt: full.expiresAt, scope: full.scope, tokenType: full.tokenType };
}

/** The sealed string as read, so a later write can be fenced on it (compare-and-set). */
export interface StoredTokens {
  tokens: TokenSet;
  sealed: string;
}

const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0
`;

/** Tokens are only ever written encrypted, bound to their installation id as associated data. */
export class ProviderTokenStore implements SealedFamily {
  private readonly keys: TokenKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly secretKeys: SecretKeyring,
  ) {
    this.keys = tokenKeys(keySpace);
  }

  seal(installationId: string, tokens: TokenSet): string {
    return this.secretKeys.seal(toPlaintext(tokens), installationId);
  }

  unseal(installationId: string, sealed: string): TokenSet {
    return fromPlaintext(this.secretKeys.open(sealed, installationId));
  }

  /** Rekey: a token set sealed with the full field names is re-sealed in the compact shape. */
  rewrite(plaintext: string): string {
    try {
      return toPlaintext(fromPlaintext(plaintext));
    } catch {
      // Not a token set we can read: re-encrypted as it is, to fail at its use as it would have.
      return plaintext;
    }
  }

  async put(installationId: string, tokens: TokenSet): Promise<void> {
    await this.redis.set(this.keys.installationTokens(installationId), this.seal(installationId, tokens));
  }

  async get(installationId: string): Promise<StoredTokens | undefined> {
    return this.fromReply(installationId, await this.redis.get(this.keys.installationTokens(installationId)));
  }

  /** The stored ciphertext as it is, unopened (uninstall hands it to the revocation job). */
  async getSealed(installationId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.installationTokens(installationId))) ?? undefined;
  }

  /** Queues the read on another repository's pipeline (one round trip for both); see fromReply. */
  queueGet(pipeline: ChainableCommander, installationId: string): void {
    pipeline.get(this.keys.installationTokens(installationId));
  }

  fromReply(installationId: string, sealed: unknown): StoredTokens | undefined {
    if (typeof sealed !== 'string') return undefined;
    return { tokens: this.unseal(installationId, sealed), sealed };
  }

  /** Writes `next` only if the stored value is still `expected`; false means someone else won. */
  async compareAndSet(installationId: string, expected: string, next: TokenSet): Promise<boolean> {
    const ok = await this.redis.eval(
      COMPARE_AND_SET,
      1,
      this.keys.installationTokens(installationId),
      expected,
      this.seal(installationId, next),
    );
    return ok === 1;
  }

  /** Deletes only if the stored value is still `expected` (nobody refreshed meanwhile). */
  async deleteIf(installationId: string, expected: string): Promise<boolean> {
    const deleted = await this.redis.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
      1,
      this.keys.installationTokens(installationId),
      expected,
    );
    return deleted === 1;
  }

  /** One SCAN batch of stored token sets, for a rekey; `id` is the installation (the associated data). */
  async scanSealed(cursor: string, count: number): Promise<{ cursor: string; records: SealedRecord[] }> {
    const [next, keys] = await scanKeys(this.redis, cursor, this.keys.installationTokensPattern(), count);
    const ids = keys.map((k) => this.keys.installationOfTokens(k)).filter((id): id is string => id !== undefined);
    if (ids.length === 0) return { cursor: next, records: [] };
    const values = await getMany(this.redis, ids.map((id) => this.keys.installationTokens(id)));
    const records: SealedRecord[] = [];
    ids.forEach((id, i) => {
      const sealed = values[i];
      if (typeof sealed === 'string') records.push({ id, sealed, version: sealed });
    });
    return { cursor: next, records };
  }

  /** Compare-and-set per record, pipelined: a token set refreshed since the scan read it stays. */
  async replaceSealed(updates: readonly { record: SealedRecord; sealed: string }[]): Promise<boolean[]> {
    const replies = await evalEach(
      this.redis,
      COMPARE_AND_SET,
      updates.map(({ record, sealed }) => ({ key: this.keys.installationTokens(record.id), args: [record.version, sealed] })),
    );
    return replies.map(([err, ok]) => {
      if (err) throw err;
      return ok === 1;
    });
  }

  async delete(installationId: string): Promise<void> {
    await this.redis.del(this.keys.installationTokens(installationId));
  }

  /**
   * The tokens' key, for the one caller that must delete them atomically with the installation
   * record (platform's InstallationStore, wired at composition: platform may not import cloud).
   */
  recordKey(installationId: string): string {
    return this.keys.installationTokens(installationId);
  }
}

import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';
import { decrypt, encrypt } from '../runtime';
import type { Keys } from '../runtime';
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
export class ProviderTokenStore {
  private readonly keys: TokenKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly secretKey: Buffer,
  ) {
    this.keys = tokenKeys(keySpace.prefix);
  }

  seal(installationId: string, tokens: TokenSet): string {
    const plain = JSON.stringify({
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: tokens.expiresAt,
      scope: tokens.scope,
      tokenType: tokens.tokenType,
    });
    return encrypt(this.secretKey, plain, installationId);
  }

  unseal(installationId: string, sealed: string): TokenSet {
    const parsed = tokenSetSchema.parse(JSON.parse(decrypt(this.secretKey, sealed, installationId)));
    return {
      accessToken: parsed.accessToken,
      refreshToken: parsed.refreshToken,
      expiresAt: parsed.expiresAt,
      scope: parsed.scope,
      tokenType: parsed.tokenType,
    };
  }

  async put(installationId: string, tokens: TokenSet): Promise<void> {
    await this.redis.set(this.keys.installationTokens(installationId), this.seal(installationId, tokens));
  }

  async get(installationId: string): Promise<StoredTokens | undefined> {
    return this.fromReply(installationId, await this.redis.get(this.keys.installationTokens(installationId)));
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

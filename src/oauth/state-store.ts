import type { Redis } from 'ioredis';
import { z } from 'zod';
import { decrypt, encrypt } from '../secrets/crypto';
import type { Keys } from '../store/keys';
import type { OAuthStateRecord } from './state';

const recordSchema = z.object({
  installationId: z.string(),
  connector: z.string(),
  browserHash: z.string(),
  codeVerifier: z.string().optional(),
  setupToken: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
});

/**
 * Pending authorization requests. Sealed (the PKCE verifier is a secret), expiring with a TTL,
 * and consumed with GETDEL so that two callbacks racing on one state cannot both succeed.
 */
export class StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly secretKey: Buffer,
  ) {}

  async save(state: string, record: OAuthStateRecord): Promise<void> {
    const sealed = encrypt(this.secretKey, JSON.stringify(record), state);
    const ttlMs = Math.max(1, record.expiresAt - record.createdAt);
    await this.redis.set(this.keys.oauthState(state), sealed, 'PX', ttlMs, 'NX');
  }

  async consume(state: string): Promise<OAuthStateRecord | undefined> {
    const sealed = await this.redis.getdel(this.keys.oauthState(state));
    if (sealed === null) return undefined;
    try {
      const parsed = recordSchema.parse(JSON.parse(decrypt(this.secretKey, sealed, state)));
      return { ...parsed, codeVerifier: parsed.codeVerifier, setupToken: parsed.setupToken };
    } catch {
      // Written under another SECRET_KEY, or tampered with: an unknown state as far as we care.
      return undefined;
    }
  }
}

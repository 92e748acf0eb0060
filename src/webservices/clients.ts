import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hashToken, randomToken, tokenMatchesHash } from '../secrets/crypto';
import type { WebServicesKeys } from '../store/keys';
import type { ClientView, GrantType } from './authorize-request';
import { SCOPES, type Scope } from './scopes';

const storedSchema = z.object({
  clientId: z.string(),
  name: z.string(),
  redirectUris: z.array(z.string()),
  scopes: z.array(z.enum(SCOPES)),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token'])),
  secretHash: z.string(),
  createdAt: z.string(),
});

/** OAuth clients (the external systems). The secret is shown once and stored as a SHA-256 digest. */
export class ClientStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: WebServicesKeys,
  ) {}

  async create(
    input: { name: string; redirectUris: string[]; scopes: Scope[]; grantTypes: GrantType[] },
    now: Date,
  ): Promise<{ client: ClientView; clientSecret: string }> {
    const clientId = randomUUID();
    const clientSecret = randomToken();
    const client: ClientView = { clientId, ...input };
    const stored = { ...client, secretHash: hashToken(clientSecret), createdAt: now.toISOString() };
    await this.redis.set(this.keys.client(clientId), JSON.stringify(stored));
    return { client, clientSecret };
  }

  async get(clientId: string): Promise<ClientView | undefined> {
    return (await this.getStored(clientId))?.client;
  }

  /** The client when the secret matches (constant time); undefined for unknown client or wrong secret alike. */
  async authenticate(clientId: string, secret: string): Promise<ClientView | undefined> {
    const stored = await this.getStored(clientId);
    if (!stored) {
      tokenMatchesHash(secret, hashToken('')); // same work either way
      return undefined;
    }
    return tokenMatchesHash(secret, stored.secretHash) ? stored.client : undefined;
  }

  private async getStored(clientId: string): Promise<{ client: ClientView; secretHash: string } | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(clientId)) return undefined;
    const raw = await this.redis.get(this.keys.client(clientId));
    if (!raw) return undefined;
    const { secretHash, createdAt: _c, ...client } = storedSchema.parse(JSON.parse(raw));
    return { client, secretHash };
  }
}

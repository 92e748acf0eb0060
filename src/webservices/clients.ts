import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hashToken, loadPage, randomToken, SortedIndex, tokenMatchesHash } from '../runtime';
import type { Keys, Page } from '../runtime';
import { clientKeys, type ClientKeys } from './client-keys';
import { TOKEN_ENDPOINT_AUTH_METHODS, type ClientView, type GrantType, type TokenEndpointAuthMethod } from './authorize-request';
import { SCOPES, type Scope } from './scopes';

const storedSchema = z.object({
  clientId: z.string(),
  name: z.string(),
  redirectUris: z.array(z.string()),
  scopes: z.array(z.enum(SCOPES)),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token'])),
  // Clients registered before public clients existed are confidential.
  tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).default('client_secret_basic'),
  /** Absent for a public client: it has no secret. */
  secretHash: z.string().optional(),
  createdAt: z.string(),
});

/** Is this client public (RFC 6749 §2.1: it cannot keep a secret, so it authenticates with nothing and must use PKCE)? */
export const isPublicClient = (client: ClientView): boolean => client.tokenEndpointAuthMethod === 'none';

/** OAuth clients (the external systems). A confidential client's secret is shown once and stored as a SHA-256 digest. */
/** What the admin API shows of a client: never its secret's digest. */
export type ClientRecord = ClientView & { createdAt: string };

export class ClientStore {
  private verifications = 0;
  private readonly index: SortedIndex;

  private readonly keys: ClientKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = clientKeys(keySpace.prefix);
    this.index = new SortedIndex(redis, this.keys.clientsIndex());
  }

  /** Secrets checked since this store was built (what the token endpoint's limiter bounds). */
  get secretVerifications(): number {
    return this.verifications;
  }

  async create(
    input: { name: string; redirectUris: string[]; scopes: Scope[]; grantTypes: GrantType[]; tokenEndpointAuthMethod: TokenEndpointAuthMethod },
    now: Date,
  ): Promise<{ client: ClientView; clientSecret: string | undefined }> {
    const clientId = randomUUID();
    const client: ClientView = { clientId, ...input };
    const clientSecret = isPublicClient(client) ? undefined : randomToken();
    const stored = { ...client, ...(clientSecret ? { secretHash: hashToken(clientSecret) } : {}), createdAt: now.toISOString() };
    // The index entry first, then the record (two keys, two Cluster slots, no transaction): a crash
    // between leaves an entry without a record, which listings skip.
    await this.index.add(this.redis.pipeline(), stored.createdAt, clientId).exec();
    await this.redis.set(this.keys.client(clientId), JSON.stringify(stored));
    return { client, clientSecret };
  }

  /** The client with its creation time (admin views). */
  async record(clientId: string): Promise<ClientRecord | undefined> {
    const stored = await this.getStored(clientId);
    return stored && { ...stored.client, createdAt: stored.createdAt };
  }

  /** One page of clients in creation order (see SortedIndex for what the cursor guarantees). */
  async page(cursor: string | undefined, limit: number): Promise<Page<ClientRecord>> {
    await this.index.backfillOnce(
      this.keys.clientsIndexBackfilled(),
      this.keys.clientPattern(),
      (key) => /:ws:client:([0-9a-f-]{36})$/.exec(key)?.[1],
      async (id) => (await this.getStored(id))?.createdAt,
    );
    return loadPage(await this.index.page(cursor, limit), (id) => this.record(id));
  }

  /** Removes the client: its secret stops authenticating at once. Its apps are revoked by the caller first. */
  async delete(client: ClientRecord): Promise<boolean> {
    // The record first (its secret stops working), then the index entry; a crash between leaves an
    // entry without a record, which listings skip.
    const deleted = await this.redis.del(this.keys.client(client.clientId));
    await this.index.remove(this.redis.pipeline(), client.createdAt, client.clientId).exec();
    return deleted === 1;
  }

  async get(clientId: string): Promise<ClientView | undefined> {
    return (await this.getStored(clientId))?.client;
  }

  /**
   * The confidential client when the secret matches (constant time); undefined for an unknown
   * client, a wrong secret, or a public client (it has no secret to match) alike.
   */
  async authenticate(clientId: string, secret: string): Promise<ClientView | undefined> {
    const stored = await this.getStored(clientId);
    this.verifications++;
    if (!stored?.secretHash) {
      tokenMatchesHash(secret, hashToken('')); // same work either way
      return undefined;
    }
    return tokenMatchesHash(secret, stored.secretHash) ? stored.client : undefined;
  }

  private async getStored(clientId: string): Promise<{ client: ClientView; secretHash: string | undefined; createdAt: string } | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(clientId)) return undefined;
    const raw = await this.redis.get(this.keys.client(clientId));
    if (!raw) return undefined;
    const { secretHash, createdAt, ...client } = storedSchema.parse(JSON.parse(raw));
    return { client, secretHash, createdAt };
  }
}

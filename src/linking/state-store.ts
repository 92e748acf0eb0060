import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hashToken } from '../runtime';
import type { Keys, SecretKeyring } from '../runtime';
import { stateKeys, type StateKeys } from './state-keys';
import type { OAuthStateRecord } from './state';

/**
 * How many linking flows one installation may have outstanding at once. A person needs one, and a
 * few more for a second tab, a retry after the back button or another device; five covers that.
 * Without a cap, anyone holding an installation's token could store one sealed record per request
 * for the whole state TTL. Starting one more drops the oldest, so a person's latest attempt always
 * works.
 */
export const MAX_OUTSTANDING_STATES = 5;

const usedSchema = z.object({ installationId: z.string(), setupToken: z.string().optional() });

const recordSchema = z.object({
  installationId: z.string(),
  connector: z.string(),
  browserHash: z.string(),
  codeVerifier: z.string().optional(),
  setupToken: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
});

// Cluster-safe (issue 16): a state's key is named by its digest alone (the callback knows nothing
// else), so it cannot share the slot of the installation's index, which lives in the installation's
// partition. No script spans the two; writes are ordered so a crash only leaves a state that is
// live a little longer than the cap wants, never one that works after it was consumed:
// save: the state (SET NX), then its index entry, trimmed to the cap atomically (TRIM returns the
//   ids it dropped), then the dropped states are deleted;
// forget: the index is emptied atomically (DRAIN returns its ids), then those states are deleted.
// The index is a list in issue order (a clock could tie); it lives as long as its newest state,
// since every state has the same TTL. A dropped id whose state already expired or was consumed
// costs a DEL that is a no-op.
const TRIM = `
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local dropped = {}
while redis.call('LLEN', KEYS[1]) > tonumber(ARGV[3]) do
  table.insert(dropped, redis.call('LPOP', KEYS[1]))
end
return dropped
`;

const DRAIN = `
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return ids
`;

/**
 * Pending authorization requests. Sealed (the PKCE verifier is a secret), expiring with a TTL,
 * capped per installation, and consumed with GETDEL so that two callbacks racing on one state
 * cannot both succeed. Keys and the index name a state by its digest: whoever can read Redis
 * learns no state a callback would accept.
 */
export class StateStore {
  private readonly keys: StateKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly secretKeys: SecretKeyring,
    private readonly cap = MAX_OUTSTANDING_STATES,
  ) {
    this.keys = stateKeys(keySpace);
  }

  async save(state: string, record: OAuthStateRecord): Promise<void> {
    const sealed = this.secretKeys.seal(JSON.stringify(record), state);
    const ttlMs = Math.max(1, record.expiresAt - record.createdAt);
    const id = hashToken(state);
    if ((await this.redis.set(this.keys.oauthState(id), sealed, 'PX', ttlMs, 'NX')) === null) return;
    const dropped = (await this.redis.eval(TRIM, 1, this.keys.oauthStates(record.installationId), id, String(ttlMs), String(this.cap))) as string[];
    await this.deleteStates(dropped);
  }

  /** One DEL per state: their keys are in as many hash slots. */
  private async deleteStates(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.redis.del(this.keys.oauthState(id))));
  }

  async consume(state: string): Promise<OAuthStateRecord | undefined> {
    const id = hashToken(state);
    const sealed = await this.redis.getdel(this.keys.oauthState(id));
    if (sealed === null) return undefined;
    let record: OAuthStateRecord;
    try {
      const parsed = recordSchema.parse(JSON.parse(this.secretKeys.open(sealed, state)));
      record = { ...parsed, codeVerifier: parsed.codeVerifier, setupToken: parsed.setupToken };
    } catch {
      // Written under a key no longer configured, or tampered with: an unknown state as far as we care.
      return undefined;
    }
    // GETDEL above is what makes the state single-use; this only keeps the index short.
    await this.redis.lrem(this.keys.oauthStates(record.installationId), 1, id);
    // Remember, for the state's lifetime, which installation it was used for: a replayed callback
    // (a reload, the back button) can then say the link is in place instead of "not connected".
    const ttlMs = Math.max(1, record.expiresAt - record.createdAt);
    // Sealed like the record (the setup token is the installation's secret): the replay's page links back to setup.
    const used = JSON.stringify({ installationId: record.installationId, setupToken: record.setupToken });
    await this.redis.set(this.keys.oauthStateUsed(id), this.secretKeys.seal(used, `used:${state}`), 'PX', ttlMs, 'NX');
    return record;
  }

  /** The installation an already-consumed state was used for (and its setup token), while its lifetime lasts. */
  async usedFor(state: string): Promise<{ installationId: string; setupToken: string | undefined } | undefined> {
    const sealed = await this.redis.get(this.keys.oauthStateUsed(hashToken(state)));
    if (sealed === null) return undefined;
    try {
      const used = usedSchema.parse(JSON.parse(this.secretKeys.open(sealed, `used:${state}`)));
      return { installationId: used.installationId, setupToken: used.setupToken };
    } catch {
      return undefined;
    }
  }

  /** Drops every outstanding state of an installation (at uninstall). */
  async forgetInstallation(installationId: string): Promise<void> {
    await this.deleteStates((await this.redis.eval(DRAIN, 1, this.keys.oauthStates(installationId))) as string[]);
  }
}

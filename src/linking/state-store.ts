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

// One script, so that concurrent starts cannot both slip under the cap. The index is a list in
// issue order (a clock could tie); it lives as long as its newest state, since every state has the
// same TTL. An entry whose state already expired or was consumed is trimmed like any other: its DEL
// is a no-op. ARGV[5] is the state key prefix from the key builder, so key names stay in one place.
const SAVE = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local cap = tonumber(ARGV[4])
while redis.call('LLEN', KEYS[2]) > cap do
  redis.call('DEL', ARGV[5] .. redis.call('LPOP', KEYS[2]))
end
return 1
`;

const FORGET = `
for _, state in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do redis.call('DEL', ARGV[1] .. state) end
return redis.call('DEL', KEYS[1])
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
    await this.redis.eval(
      SAVE,
      2,
      this.keys.oauthState(id),
      this.keys.oauthStates(record.installationId),
      sealed,
      String(ttlMs),
      id,
      String(this.cap),
      this.keys.oauthState(''),
    );
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
    await this.redis.eval(FORGET, 1, this.keys.oauthStates(installationId), this.keys.oauthState(''));
  }
}

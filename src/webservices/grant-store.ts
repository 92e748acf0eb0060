import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hashToken, randomToken } from '../runtime';
import type { Keys } from '../runtime';
import { grantKeys, type GrantKeys } from './grant-keys';
import type { CodeRecord, TokenRecord } from './grant-checks';
import { SCOPES, type Scope } from './scopes';

const REVOKED = 'revoked';

// Issues an access + refresh pair into a grant. When rotating, the old refresh token must still
// hold the value we read: otherwise it was rotated meanwhile (2: someone else presented it, which
// is reuse) or is gone (3: expired or revoked). A revoked grant (a reused code racing its first
// redemption) issues nothing (0). The rotated token is not deleted but replaced, for the rest of
// its life, by a marker naming its grant, so presenting it again is recognised as reuse; it stays a
// member of the grant, so revoking the grant removes the marker too.
const ISSUE_SCRIPT = `
local consumed = ARGV[1]
if consumed ~= '' then
  local current = redis.call('GET', KEYS[4])
  if current ~= consumed then
    if current then return 2 end
    return 3
  end
end
if redis.call('SISMEMBER', KEYS[1], '${REVOKED}') == 1 then return 0 end
if consumed ~= '' then redis.call('SET', KEYS[4], ARGV[6], 'KEEPTTL') end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
redis.call('SADD', KEYS[1], KEYS[2], KEYS[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

// Marks the grant revoked (so in-flight issuance fails) and deletes every token issued from it.
const REVOKE_SCRIPT = `
local members = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(members) do
  if key ~= '${REVOKED}' then redis.call('DEL', key) end
end
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], '${REVOKED}')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #members
`;

/** `<grantId>.<secret>`: the grant a token was issued into (a UUID). */
const GRANT_IN_TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]+$/;

const codeSchema = z.object({
  clientId: z.string(),
  appId: z.string(),
  redirectUri: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  grantId: z.string(),
  expiresAt: z.number(),
  codeChallenge: z.string().optional(),
});

const tokenSchema = z.object({
  kind: z.enum(['access', 'refresh']),
  clientId: z.string(),
  appId: z.string(),
  grantId: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  expiresAt: z.number(),
});

/** What a refresh token's key holds once the token was rotated: enough to revoke its grant when it comes back. */
const rotatedSchema = z.object({ kind: z.literal('rotated'), grantId: z.string() });

export type RefreshLookup =
  | { status: 'active'; record: TokenRecord; storedValue: string }
  /** Already exchanged for a new pair: presenting it again means it leaked (RFC 9700 §4.14.2). */
  | { status: 'rotated'; grantId: string };

export type IssueResult =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; reason: 'revoked' | 'reused' | 'gone' };

const ISSUE_OUTCOMES: Partial<Record<number, Extract<IssueResult, { ok: false }>['reason']>> = { 0: 'revoked', 2: 'reused', 3: 'gone' };

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scopes: Scope[];
}

export interface GrantLifetimes {
  codeTtlS: number;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
}

/**
 * Authorization codes and the tokens issued from them, all stored under the SHA-256 of the value
 * (never the value itself). A "grant" is the family of tokens one code led to, so a reused code can
 * revoke everything it produced (RFC 6749 §4.1.2), and an app revocation revokes all its grants.
 */
export class GrantStore {
  private readonly keys: GrantKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly lifetimes: GrantLifetimes,
  ) {
    this.keys = grantKeys(keySpace.prefix);
  }

  async createCode(
    input: { clientId: string; appId: string; redirectUri: string; scopes: Scope[]; codeChallenge?: string | undefined },
    now: number,
  ): Promise<string> {
    const code = randomToken();
    const grantId = randomUUID();
    const { codeChallenge, ...rest } = input;
    const record = { ...rest, ...(codeChallenge !== undefined ? { codeChallenge } : {}), grantId, expiresAt: now + this.lifetimes.codeTtlS * 1000 };
    // The app's grant list first, then the code (two slots on a Cluster): a crash between leaves a
    // grant id with no code and no tokens, which revoking the app removes. The code is kept for its
    // lifetime after use, so a second redemption is recognised as reuse.
    await this.redis.sadd(this.keys.appGrants(input.appId), grantId);
    await this.redis
      .multi()
      .hset(this.keys.code(hashToken(code)), 'data', JSON.stringify(record))
      .pexpire(this.keys.code(hashToken(code)), this.lifetimes.codeTtlS * 1000)
      .exec();
    return code;
  }

  async readCode(code: string): Promise<CodeRecord | undefined> {
    const hash = await this.redis.hgetall(this.keys.code(hashToken(code)));
    if (!hash['data']) return undefined;
    const usedAt = hash['usedAt'] ? Number(hash['usedAt']) : undefined;
    const { codeChallenge, ...record } = codeSchema.parse(JSON.parse(hash['data']));
    return { ...record, codeChallenge, usedAt };
  }

  /** Marks the code used; false when another request got there first (which is reuse). */
  async markCodeUsed(code: string, now: number): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.code(hashToken(code)), 'usedAt', String(now))) === 1;
  }

  /** Issues a fresh pair into the grant; undefined when the grant was revoked (or the refresh token already rotated). */
  async issue(
    grant: { clientId: string; appId: string; grantId: string; scopes: Scope[] },
    now: number,
    rotating?: { refreshToken: string; storedValue: string },
    accessScopes: Scope[] = grant.scopes,
  ): Promise<IssuedTokens | undefined> {
    const result = await this.issueOrExplain(grant, now, rotating, accessScopes);
    return result.ok ? result.tokens : undefined;
  }

  /** As `issue`, saying why nothing was issued: a refresh token rotated meanwhile (`reused`) must revoke its grant. */
  async issueOrExplain(
    grant: { clientId: string; appId: string; grantId: string; scopes: Scope[] },
    now: number,
    rotating?: { refreshToken: string; storedValue: string },
    /** A narrower scope for the access token (RFC 6749 §6); the refresh token keeps the grant's. */
    accessScopes: Scope[] = grant.scopes,
  ): Promise<IssueResult> {
    // The token names its grant, so its key (in the grant's slot) is found from the token alone.
    const accessToken = `${grant.grantId}.${randomToken()}`;
    const refreshToken = `${grant.grantId}.${randomToken()}`;
    const { accessTokenTtlS, refreshTokenTtlS } = this.lifetimes;
    const access: TokenRecord = { kind: 'access', ...grant, scopes: accessScopes, expiresAt: now + accessTokenTtlS * 1000 };
    const refresh: TokenRecord = { kind: 'refresh', ...grant, expiresAt: now + refreshTokenTtlS * 1000 };
    const grantKey = this.keys.grantTokens(grant.grantId);
    const issued = await this.redis.eval(
      ISSUE_SCRIPT,
      4,
      grantKey,
      this.tokenKey('access', accessToken),
      this.tokenKey('refresh', refreshToken),
      rotating ? this.tokenKey('refresh', rotating.refreshToken) : grantKey,
      rotating?.storedValue ?? '',
      JSON.stringify(access),
      accessTokenTtlS * 1000,
      JSON.stringify(refresh),
      refreshTokenTtlS * 1000,
      JSON.stringify({ kind: 'rotated', grantId: grant.grantId }),
    );
    if (issued !== 1) return { ok: false, reason: ISSUE_OUTCOMES[Number(issued)] ?? 'gone' };
    return { ok: true, tokens: { accessToken, refreshToken, expiresIn: accessTokenTtlS, scopes: accessScopes } };
  }

  async readToken(kind: TokenRecord['kind'], token: string): Promise<{ record: TokenRecord; storedValue: string } | undefined> {
    const raw = await this.redis.get(this.tokenKey(kind, token));
    if (!raw) return undefined;
    const parsed = tokenSchema.safeParse(JSON.parse(raw));
    return parsed.success ? { record: parsed.data, storedValue: raw } : undefined;
  }

  /** A refresh token: live, or rotated already (its reuse revokes the grant); undefined when unknown, expired or revoked. */
  async readRefreshToken(token: string): Promise<RefreshLookup | undefined> {
    const raw = await this.redis.get(this.tokenKey('refresh', token));
    if (!raw) return undefined;
    const value: unknown = JSON.parse(raw);
    const rotated = rotatedSchema.safeParse(value);
    if (rotated.success) return { status: 'rotated', grantId: rotated.data.grantId };
    const parsed = tokenSchema.safeParse(value);
    return parsed.success && parsed.data.kind === 'refresh' ? { status: 'active', record: parsed.data, storedValue: raw } : undefined;
  }

  /** A token's key: the grant it names (tokens issued before name none, layout 1) and its hash. */
  private tokenKey(kind: TokenRecord['kind'], token: string): string {
    const grantId = GRANT_IN_TOKEN.exec(token)?.[1];
    return kind === 'access' ? this.keys.accessToken(hashToken(token), grantId) : this.keys.refreshToken(hashToken(token), grantId);
  }

  async revokeGrant(grantId: string): Promise<void> {
    await this.redis.eval(REVOKE_SCRIPT, 1, this.keys.grantTokens(grantId), this.lifetimes.refreshTokenTtlS * 1000);
  }

  /** Every token of every grant of the app, including grants whose code is not redeemed yet. */
  async revokeApp(appId: string): Promise<void> {
    const grants = await this.redis.smembers(this.keys.appGrants(appId));
    for (const grantId of grants) await this.revokeGrant(grantId);
    await this.redis.del(this.keys.appGrants(appId));
  }
}

/**
 * Layout 1 → 2: every grant's token set under its grant's hash tag (its members, the keys of tokens
 * issued before, keep their names until they expire). Idempotent; run by runtime/redis/layout.ts.
 */
export async function migrateGrantSets(redis: Redis, prefix: string): Promise<number> {
  const keys = grantKeys(prefix);
  let moved = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.layout1GrantTokensPattern(), 'COUNT', 1_000);
    cursor = next;
    for (const key of found) {
      const grantId = keys.layout1GrantOf(key);
      if (grantId === undefined) continue;
      try {
        await redis.rename(key, keys.grantTokens(grantId));
        moved += 1;
      } catch (err) {
        if (!/no such key/i.test((err as Error).message)) throw err;
      }
    }
  } while (cursor !== '0');
  return moved;
}

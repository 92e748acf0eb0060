import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashToken } from '../../src/runtime';
import { layoutMigrations } from '../../src/runtime/build-services';
import { createKeys } from '../../src/runtime/redis/keys';
import { ensureLayout } from '../../src/runtime/redis/layout';
import { GrantStore } from '../../src/webservices/grant-store';
import { startCluster, type RedisCluster } from '../helpers/cluster';
import { toolClient } from '../helpers/redis-client';

/**
 * Grants on the partition-era layout: a token names its grant (`<grantId>.<secret>`) so its key
 * shares the grant's hash tag, and issuing, rotating and revoking stay in one Cluster slot. Tokens
 * issued before (no grant in them) keep working until they expire, and revoking their grant still
 * removes them once the grant's set was moved at start.
 */

const lifetimes = { codeTtlS: 600, accessTokenTtlS: 3600, refreshTokenTtlS: 86_400 };
const input = { clientId: randomUUID(), appId: randomUUID(), redirectUri: 'https://ext.example.com/cb', scopes: ['r:devices:*' as const] };

describe('tokens issued before partitions (layout 1), on the single server', () => {
  let redis: Redis;
  const prefix = `test-grants-${randomUUID()}`;
  beforeAll(() => {
    redis = toolClient(inject('redisUrl'));
  });
  afterAll(async () => {
    const left = await redis.keys(`${prefix}:*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
  });

  it('are still accepted after the migration at start, and revoking their grant removes them', async () => {
    const grantId = randomUUID();
    const legacy = 'legacy-access-token-0123456789abcdefghijklmnopq';
    const record = { kind: 'access', clientId: input.clientId, appId: input.appId, grantId, scopes: ['r:devices:*'], expiresAt: Date.now() + 3_600_000 };
    // As layout 1 wrote them: the token's key by its hash alone, the grant's set naming it.
    await redis.set(`${prefix}:ws:access:${hashToken(legacy)}`, JSON.stringify(record), 'PX', 3_600_000);
    await redis.sadd(`${prefix}:ws:grant:${grantId}:tokens`, `${prefix}:ws:access:${hashToken(legacy)}`);

    const layout = await ensureLayout(redis, prefix, undefined, layoutMigrations(prefix));
    expect(layout.migratedKeys).toBe(1);
    const grants = new GrantStore(redis, createKeys(prefix), lifetimes);
    expect((await grants.readToken('access', legacy))?.record.grantId).toBe(grantId);
    await grants.revokeGrant(grantId);
    expect(await grants.readToken('access', legacy)).toBeUndefined();
    // A new pair into the revoked grant is refused.
    expect(await grants.issueOrExplain({ ...input, grantId }, Date.now())).toEqual({ ok: false, reason: 'revoked' });
  });
});

describe('a grant set under its layout-1 name beside a layout 2 record (as versions before the grant tags left it)', () => {
  let redis: Redis;
  const prefix = `test-grants-${randomUUID()}`;
  beforeAll(() => {
    redis = toolClient(inject('redisUrl'));
  });
  afterAll(async () => {
    const left = await redis.keys(`${prefix}:*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
  });

  it('is moved at start, so revoking the grant still removes its tokens', async () => {
    const grantId = randomUUID();
    const legacy = 'legacy-access-token-layout2-0123456789abcdefghij';
    const record = { kind: 'access', clientId: input.clientId, appId: input.appId, grantId, scopes: ['r:devices:*'], expiresAt: Date.now() + 3_600_000 };
    await redis.hset(`${prefix}:layout`, 'version', '2', 'partitions', '16');
    await redis.set(`${prefix}:ws:access:${hashToken(legacy)}`, JSON.stringify(record), 'PX', 3_600_000);
    await redis.sadd(`${prefix}:ws:grant:${grantId}:tokens`, `${prefix}:ws:access:${hashToken(legacy)}`);

    const layout = await ensureLayout(redis, prefix, undefined, layoutMigrations(prefix));
    expect(layout.migratedKeys).toBe(1);
    const grants = new GrantStore(redis, createKeys(prefix), lifetimes);
    await grants.revokeGrant(grantId);
    expect(await grants.readToken('access', legacy)).toBeUndefined();
  });
});

describe('grants on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
    client = cluster.client();
  }, 90_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('fresh data: the layout is recorded at start (the families\' layout-1 moves are not tried on a Cluster)', async () => {
    const prefix = `sm-fresh-${randomUUID().slice(0, 8)}`;
    const layout = await ensureLayout(client as unknown as Redis, prefix, undefined, layoutMigrations(prefix));
    expect(layout).toMatchObject({ version: 3, created: true, migratedKeys: 0 });
  });

  it('code, issue, rotate (a reused refresh token is recognised), revoke the grant and the app: no CROSSSLOT', async () => {
    const grants = new GrantStore(client as unknown as Redis, createKeys('sm-test'), lifetimes);
    const now = Date.now();
    const code = await grants.createCode(input, now);
    const redeemed = await grants.readCode(code);
    expect(redeemed?.appId).toBe(input.appId);
    expect(await grants.markCodeUsed(code, now)).toBe(true);
    const grant = { clientId: input.clientId, appId: input.appId, grantId: redeemed!.grantId, scopes: redeemed!.scopes };
    const first = await grants.issue(grant, now);
    expect(first?.accessToken.startsWith(`${grant.grantId}.`)).toBe(true);
    expect((await grants.readToken('access', first!.accessToken))?.record.grantId).toBe(grant.grantId);

    const refresh = await grants.readRefreshToken(first!.refreshToken);
    if (refresh?.status !== 'active') throw new Error('refresh token not active');
    const second = await grants.issueOrExplain(grant, now, { refreshToken: first!.refreshToken, storedValue: refresh.storedValue });
    expect(second.ok).toBe(true);
    expect(await grants.readRefreshToken(first!.refreshToken)).toEqual({ status: 'rotated', grantId: grant.grantId });
    expect(await grants.issueOrExplain(grant, now, { refreshToken: first!.refreshToken, storedValue: refresh.storedValue })).toEqual({ ok: false, reason: 'reused' });

    await grants.revokeApp(input.appId);
    expect(await grants.readToken('access', first!.accessToken)).toBeUndefined();
    if (second.ok) expect(await grants.readToken('access', second.tokens.accessToken)).toBeUndefined();
    expect(await grants.issueOrExplain(grant, now)).toEqual({ ok: false, reason: 'revoked' });
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/linking/state-store';
import type { OAuthStateRecord } from '../../src/linking/state';
import { RedisConnections } from '../../src/runtime/redis/connections';
import { createKeys } from '../../src/runtime/redis/keys';
import { SecretKeyring } from '../../src/runtime/secrets/keyring';
import { startCluster, type RedisCluster } from '../helpers/cluster';

/**
 * Stores whose scripts used to span hash slots, on a real Redis Cluster (3 primaries + 3
 * replicas): each step now touches one slot, so none fails with CROSSSLOT, and what the single
 * server guaranteed still holds.
 */

let cluster: RedisCluster;
let client: Cluster;
const keys = createKeys('sm-test');

beforeAll(async () => {
  cluster = await startCluster();
  client = new RedisConnections(cluster.topology, { commandTimeoutMs: 2_000 }).createCluster('tool');
  client.on('error', () => undefined);
}, 90_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

// The stores are written against ioredis' command interface, which a Cluster client shares.
const asRedis = (c: Cluster): Redis => c as unknown as Redis;

describe('linking states (state-store.ts)', () => {
  const ring = SecretKeyring.single(randomBytes(32));
  const record = (installationId: string): OAuthStateRecord => ({
    installationId,
    connector: 'acme',
    browserHash: 'b'.repeat(64),
    codeVerifier: 'verifier',
    setupToken: undefined,
    createdAt: Date.now(),
    expiresAt: Date.now() + 600_000,
  });

  it('the cap holds (the oldest states are dropped), a state is consumed once, and uninstall drops the rest', async () => {
    const store = new StateStore(asRedis(client), keys, ring, 3);
    const installationId = randomUUID();
    const states = Array.from({ length: 5 }, () => randomUUID());
    for (const state of states) await store.save(state, record(installationId));
    // The two oldest were dropped by the cap.
    expect(await store.consume(states[0]!)).toBeUndefined();
    expect(await store.consume(states[1]!)).toBeUndefined();
    expect((await store.consume(states[2]!))?.installationId).toBe(installationId);
    expect(await store.consume(states[2]!)).toBeUndefined();
    expect((await store.usedFor(states[2]!))?.installationId).toBe(installationId);
    await store.forgetInstallation(installationId);
    expect(await store.consume(states[3]!)).toBeUndefined();
    expect(await store.consume(states[4]!)).toBeUndefined();
  });
});

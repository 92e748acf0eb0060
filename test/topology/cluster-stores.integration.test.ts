import { randomBytes, randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateGate, type GateSpec } from '../../src/cloud/rate-gate';
import { rateKeys } from '../../src/cloud/rate-keys';
import { StateStore } from '../../src/linking/state-store';
import { ProviderTokenStore } from '../../src/cloud/provider-token-store';
import { rekeyFamilies } from '../../src/runtime/secrets/rekey';
import { RedisRekeyCheckpoints } from '../../src/runtime/secrets/rekey-checkpoints';
import { WebhookRecords } from '../../src/ingest/webhook-records';
import { BatchLedger } from '../../src/ingest/batch-ledger';
import { FailedWebhooks } from '../../src/ingest/failed-store';
import { ApiKeyStore } from '../../src/operator/api-key-store';
import { ClientStore } from '../../src/webservices/clients';
import { UserStore } from '../../src/webservices/users';
import { AppInstallationStore } from '../../src/webservices/app-installations';
import { SinkStore } from '../../src/webservices/event-sinks';
import { SubscriptionStore } from '../../src/webservices/event-subscriptions';
import { DrainState } from '../../src/webservices/drain-state';
import { subscriptionKeys } from '../../src/webservices/subscription-keys';
import { sinkKeys } from '../../src/webservices/sink-keys';
import type { OAuthStateRecord } from '../../src/linking/state';
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
  client = cluster.client();
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

describe('cloud quotas and leases (rate-gate.ts): the account and the client id are two slots', () => {
  const spec = (installationId: string, over: Partial<GateSpec> = {}): GateSpec => ({
    installationId,
    connector: `acme-${installationId.slice(0, 8)}`,
    maxConcurrent: 2,
    limits: [
      { requests: 3, windowMs: 600_000, per: 'account' },
      { requests: 2, windowMs: 600_000, per: 'application' },
      { requests: 100, windowMs: 1_000, per: 'application' },
    ],
    leaseMs: 60_000,
    ...over,
  });

  it('admits within every budget and the lease cap, with the caller\'s reads in the same pipeline', async () => {
    const gate = new RateGate(asRedis(client), keys);
    const id = randomUUID();
    const k = rateKeys(keys);
    const { admission, replies } = await gate.admitWith(spec(id), 'lease-1', Date.now(), (p) => p.zcard(k.cloudLeases(id)));
    expect(admission).toEqual({ admitted: true });
    expect(replies).toEqual([[null, 1]]);
  });

  it('the client id\'s budget refuses: the account\'s token and lease are given back', async () => {
    const gate = new RateGate(asRedis(client), keys);
    const k = rateKeys(keys);
    const s = spec(randomUUID(), { maxConcurrent: 10 });
    const other = { ...spec(randomUUID(), { maxConcurrent: 10 }), connector: s.connector };
    const now = Date.now();
    expect((await gate.admitWith(s, 'a', now)).admission.admitted).toBe(true);
    expect((await gate.admitWith(other, 'b', now)).admission.admitted).toBe(true);
    // The application's 2 are spent: the third call is refused, by the application.
    expect((await gate.admitWith(s, 'c', now)).admission).toEqual({ admitted: false, waitMs: expect.any(Number), reason: 'busy' });
    // ...and took nothing from the account: its bucket still holds 3 - 1, and only lease 'a' is held.
    expect(await client.get(k.rateBucket(`inst:${s.installationId}`, 600_000))).toBe(`2 ${now}`);
    expect(await client.zrange(k.cloudLeases(s.installationId), '0', '-1')).toEqual(['a']);
  });

  it('the account refuses (its lease cap): the client id\'s tokens are given back', async () => {
    const gate = new RateGate(asRedis(client), keys);
    const k = rateKeys(keys);
    const s = spec(randomUUID(), { maxConcurrent: 1 });
    const now = Date.now();
    expect((await gate.admitWith(s, 'a', now)).admission.admitted).toBe(true);
    expect((await gate.admitWith(s, 'b', now)).admission).toEqual({ admitted: false, waitMs: 25, reason: 'busy' });
    expect(await client.get(k.rateBucket(`app:${s.connector}`, 600_000))).toBe(`1 ${now}`);
    await gate.release(s.installationId, 'a');
    expect((await gate.admitWith(s, 'b', now)).admission.admitted).toBe(true);
  });

  it('a pause of either scope refuses with the pause; forget removes the account\'s keys', async () => {
    const gate = new RateGate(asRedis(client), keys);
    const k = rateKeys(keys);
    const s = spec(randomUUID());
    await gate.pause(s, 'application', 60_000);
    const paused = await gate.admitWith(s, 'a', Date.now());
    expect(paused.admission).toMatchObject({ admitted: false, reason: 'pause' });
    expect(await client.exists(k.cloudLeases(s.installationId))).toBe(0);
    const t = spec(randomUUID());
    await gate.pause(t, 'account', 60_000);
    expect((await gate.admitWith(t, 'a', Date.now())).admission).toMatchObject({ admitted: false, reason: 'pause' });
    await gate.forget(t.installationId, t.limits);
    expect(await client.exists(k.ratePause(`inst:${t.installationId}`))).toBe(0);
  });
});

describe("the client id's pause (rate-gate.ts), copied into every partition", () => {
  it("paused through one process (installation A) => another process's admission for B, in another partition, is refused by the account's script alone; the copies carry the PX", async () => {
    const other = cluster.client();
    try {
      const k = rateKeys(keys);
      const connector = `acme-${randomUUID().slice(0, 8)}`;
      const a = randomUUID();
      let b = randomUUID();
      while (keys.partitions.of(b) === keys.partitions.of(a)) b = randomUUID();
      const spec = (installationId: string): GateSpec => ({ installationId, connector, maxConcurrent: 2, limits: [{ requests: 5, windowMs: 600_000, per: 'account' }], leaseMs: 60_000 });
      await new RateGate(asRedis(client), keys).pause(spec(a), 'application', 60_000);
      const copies = keys.partitions.all().map((p) => k.appPauseCopyOf(connector, p));
      for (const key of copies) expect(await client.pttl(key)).toBeGreaterThan(0);
      // Only the copy: the client id's own key gone, the poll's pipeline (B's slot) still says pause.
      await client.del(k.ratePause(`app:${connector}`));
      const gate = new RateGate(asRedis(other), keys);
      const admit = async () => {
        const pipeline = other.pipeline();
        const queued = gate.queueAdmit(pipeline, spec(b), 'lease', Date.now());
        pipeline.zcard(k.cloudLeases(b));
        expect(queued.commands).toBe(1);
        const replies = (await pipeline.exec()) ?? [];
        expect(replies[1]).toEqual([null, expect.any(Number)]);
        return queued.settle(replies);
      };
      await expect(admit()).resolves.toMatchObject({ admitted: false, reason: 'pause' });
      expect(await client.exists(k.cloudLeases(b))).toBe(0);
      for (const key of copies) await client.del(key);
      await expect(admit()).resolves.toEqual({ admitted: true });
    } finally {
      other.disconnect();
    }
  });
});

describe('webhook records (webhook-records.ts): installation hashes in their partitions, account indexes under keys of their own', () => {
  it('join, subscribe, batch lookups over many partitions, leave and drop, without one cross-slot command', async () => {
    const records = new WebhookRecords(asRedis(client), keys);
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const hash = `h-${randomUUID()}`;
    for (const id of ids) await records.joinAccount(id, 'acme', hash);
    await records.markSubscribed(ids[0]!, 'acme');
    expect(await records.accountSubscriber('acme', hash)).toBe(ids[0]);
    expect((await records.accountMembers('acme', hash)).sort()).toEqual([...ids].sort());
    const looked = await records.lookupMany(ids, ['accountHash', 'webhookState']);
    expect(looked).toEqual(ids.map((id) => ({ fields: [hash, id === ids[0] ? 'subscribed' : null] })));
    const left = await records.leaveAccount(ids[0]!, 'acme', hash);
    expect(left.remaining.length).toBe(11);
    expect(left.subscriber).toBe(ids[0]);
    await records.dropAccount('acme', hash);
    expect(await records.accountMembers('acme', hash)).toEqual([]);
    expect(await records.accountSubscriber('acme', hash)).toBeNull();
  });
});

describe('records with a listing index (users, OAuth clients, API keys): the index entry and the record are two slots', () => {
  it('create, page and delete each, with no transaction spanning them', async () => {
    const now = new Date();
    const users = new UserStore(asRedis(client), keys);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await users.create({ username: `u-${randomUUID()}`, password: 'correct horse battery', locations: [] }, now));
    expect((await users.page(undefined, 100)).items.map((u) => u.id).sort()).toEqual(made.map((u) => u.id).sort());
    expect(await users.delete(made[0]!)).toBe(true);
    expect((await users.page(undefined, 100)).items.length).toBe(2);

    const clients = new ClientStore(asRedis(client), keys);
    const { client: oauth } = await clients.create({ name: 'ext', redirectUris: ['https://ext.example.com/cb'], scopes: ['r:devices:*'], grantTypes: ['authorization_code'], tokenEndpointAuthMethod: 'client_secret_post' }, now);
    const record = await clients.record(oauth.clientId);
    expect((await clients.page(undefined, 100)).items.map((c) => c.clientId)).toEqual([oauth.clientId]);
    expect(await clients.delete(record!)).toBe(true);
    expect((await clients.page(undefined, 100)).items).toEqual([]);

    const apiKeys = new ApiKeyStore(asRedis(client), keys);
    const { apiKey, key } = await apiKeys.create({ name: 'ci', scope: 'read' }, now);
    expect((await apiKeys.verify(key))?.id).toBe(apiKey.id);
    expect((await apiKeys.page(undefined, 100)).items.map((k) => k.id)).toEqual([apiKey.id]);
  });
});

describe('Web Services records with set indexes (app installations, subscriptions, event sinks)', () => {
  it('create, find through each index, delete: no transaction spans two slots', async () => {
    const now = new Date();
    const ring = SecretKeyring.single(randomBytes(32));
    const apps = new AppInstallationStore(asRedis(client), keys);
    const devices = Array.from({ length: 4 }, () => ({ installationId: randomUUID(), deviceId: randomUUID() }));
    const app = await apps.create({ clientId: randomUUID(), userId: randomUUID(), location: { id: 'home', name: 'Home' }, scopes: ['r:devices:*'], devices }, now);
    expect((await apps.forUser(app.userId)).map((a) => a.id)).toEqual([app.id]);
    expect((await apps.forClient(app.clientId)).map((a) => a.id)).toEqual([app.id]);
    for (const d of devices) expect(await apps.forDevice(d.deviceId)).toEqual([app.id]);

    const subs = new SubscriptionStore(asRedis(client), keys, ring);
    const { subscription } = await subs.create({ appId: app.id, targetUrl: 'https://ext.example.com/hook', events: ['device.stateChanged'] }, now);
    expect((await subs.listForApp(app.id)).map((x) => x.id)).toEqual([subscription.id]);
    expect(await subs.delete(subscription)).toBe(true);
    expect(await subs.listForApp(app.id)).toEqual([]);

    const sinks = new SinkStore(asRedis(client), keys, ring);
    const made = [await sinks.create({ url: 'https://a.example.com/s', types: null, connectors: null }, now), await sinks.create({ url: 'https://b.example.com/s', types: null, connectors: null }, now)];
    expect((await sinks.list()).map((x) => x.id).sort()).toEqual(made.map((m) => m.sink.id).sort());
    expect((await sinks.scanSealed('0', 1000)).records.length).toBe(2);
    expect(await sinks.delete(made[0]!.sink.id)).toBe(true);
    expect((await sinks.list()).map((x) => x.id)).toEqual([made[1]!.sink.id]);

    expect(await apps.delete(app)).toBe(true);
    expect(await apps.forUser(app.userId)).toEqual([]);
    expect(await apps.forDevice(devices[0]!.deviceId)).toEqual([]);
  });
});

describe('rekey on a Cluster: SCAN visits every primary, the compare-and-sets go one per key', () => {
  it('every token set and subscription secret, spread over the primaries, is re-encrypted under the new key', async () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const old = new SecretKeyring([{ id: 'k1', key: k1 }]);
    const ring = new SecretKeyring([
      { id: 'k2', key: k2 },
      { id: 'k1', key: k1 },
    ]);
    const rekeyed = createKeys(`sm-rekey-${randomUUID().slice(0, 8)}`);
    const writer = new ProviderTokenStore(asRedis(client), rekeyed, old);
    const ids = Array.from({ length: 30 }, () => randomUUID());
    for (const id of ids) await writer.put(id, { accessToken: `a-${id}`, refreshToken: `r-${id}`, expiresAt: Date.now() + 3_600_000, scope: undefined, tokenType: undefined });
    const subs = new SubscriptionStore(asRedis(client), rekeyed, old);
    for (let i = 0; i < 5; i++) await subs.create({ appId: randomUUID(), targetUrl: 'https://ext.example.com/hook', events: ['device.stateChanged'] }, new Date());

    const counts = await rekeyFamilies(
      ring,
      [
        { name: 'provider tokens', store: new ProviderTokenStore(asRedis(client), rekeyed, ring) },
        { name: 'subscription secrets', store: new SubscriptionStore(asRedis(client), rekeyed, ring) },
      ],
      new RedisRekeyCheckpoints(asRedis(client), `${rekeyed.prefix}:rekey:checkpoints`),
      { batchSize: 7 },
    );
    expect(counts).toMatchObject({ rekeyed: 35, unreadable: 0 });
    const reader = new ProviderTokenStore(asRedis(client), rekeyed, ring);
    for (const id of ids) {
      expect(await reader.getSealed(id)).toMatch(/^v3\.k2\./);
      expect((await reader.get(id))?.tokens.accessToken).toBe(`a-${id}`);
    }
  });
});

describe('the webhook batch ledger (batch-ledger.ts): a batch spans installations, each in its partition', () => {
  it('unparseable payloads of several installations are recorded and marked done; dedup claims are per installation', async () => {
    const ledger = new BatchLedger(asRedis(client), keys, `job-${randomUUID()}`);
    const ids = Array.from({ length: 6 }, () => randomUUID());
    const at = new Date().toISOString();
    for (const [i, id] of ids.entries()) await ledger.recordUnparseable(id, i, { receivedAt: at, failedAt: at, reason: 'not JSON', body: `<${i}>` });
    await ledger.markApplied(6);
    expect([...(await ledger.done())].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const failed = new FailedWebhooks(asRedis(client), keys);
    for (const [i, id] of ids.entries()) expect((await failed.list(id)).map((f) => f.body)).toEqual([`<${i}>`]);
    const now = Date.now();
    expect(await ledger.claim(ids[0]!, 'evt-1', now, 60_000, 'w1')).toBe(true);
    expect(await ledger.claim(ids[0]!, 'evt-1', now, 60_000, 'w2')).toBe(false);
    expect(await ledger.claim(ids[1]!, 'evt-1', now, 60_000, 'w2')).toBe(true);
    await ledger.finish();
  });
});

describe("the fan-out's delivery state (drain-state.ts): one hash tag per family, so its scripts run on a Cluster", () => {
  it.each([
    ['subscriptions', subscriptionKeys('sm-test')],
    ['event sinks', sinkKeys('sm-test')],
  ] as const)('%s: commit starts one drain per pair, pairs drain in order, handoff and release', async (_, familyKeys) => {
    const drains = new DrainState(asRedis(client), familyKeys);
    const item = (deviceId: string, body: string) => ({ subscriptionId: 's1', deviceId, body });
    const started = await drains.commit(await drains.cursor(), '1-0', [item('d1', 'a'), item('d1', 'b'), item('d2', 'c')]);
    expect(started?.map((x) => x.deviceId)).toEqual(['d1', 'd2']);
    expect(await drains.commit('stale', '2-0', [])).toBeUndefined();
    expect(await drains.head('s1', 'd1')).toBe('a');
    await drains.pop('s1', 'd1');
    const d1 = started!.find((x) => x.deviceId === 'd1')!;
    const next = await drains.handoff('s1', 'd1', d1.generation);
    expect(next).toBeGreaterThan(d1.generation);
    await drains.pop('s1', 'd1');
    expect(await drains.releaseIfEmpty('s1', 'd1', next!)).toBe(true);
    await drains.discard('s1', 'd2');
    expect(await drains.active()).toEqual([]);
  });
});

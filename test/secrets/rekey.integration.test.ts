import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, inject } from 'vitest';
import { startHostCore, type HostCore } from '../helpers/host';
import { NEUTRAL_CONNECTOR, neutralConnectors, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { link, type LinkedInstallation } from '../helpers/link';
import { rekeyCommand } from '../../src/runtime/rekey-command';
import { RedisRekeyCheckpoints } from '../../src/runtime/secrets/rekey-checkpoints';
import { SecretKeyring } from '../../src/runtime/secrets/keyring';
import { ProviderTokenStore } from '../../src/cloud/provider-token-store';
import { syncInstallation } from '../../src/sync/sync-installation';
import { keyNames } from '../helpers/key-names';
import { encrypt } from '../../src/runtime/secrets/crypto';

const LEGACY_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
/** Written by encrypt() before key ids existed (commit eb0da9d), under LEGACY_HEX, bound to "inst-legacy". */
const V1_FIXTURE =
  'v1.6B9K7_yL34eyWArH.IPGhIBb40-JsslMMAGJ66w.opAgasMr-MHiIXEKrVEXOfRR2mj2OAOY1OMe36zbXohJIGgC-cFCM4rVc-Dw5_sPWAv-5Xu94tm96lHOhpUv_KCc9Wob0GX3DY2WLk66pNwA7uCowjA1B4c';

const hex = () => randomBytes(32).toString('hex');
const k1 = hex();
const k2 = hex();

let before: NeutralHost;
let after: HostCore | undefined;
let inst: LinkedInstallation;
let subscriptionId: string;
let subscriptionSecret: string;
let sinkId: string;
let sinkSecret: string;

beforeEach(async () => {
  before = await startNeutralHost({ env: { SECRET_KEYS: `k1:${k1}`, SECRET_KEY: LEGACY_HEX } });
  inst = await link(before, undefined, NEUTRAL_CONNECTOR);
  // A token set of the days before key ids, and a Web Services subscription's signing secret.
  await before.inspect.set(keyNames(before.services.keys).installationTokens('inst-legacy'), V1_FIXTURE);
  const created = await before.services.webServices.subscriptions.create(
    { appId: 'app-1', targetUrl: 'http://127.0.0.1:1/hook', events: ['device.stateChanged'] },
    new Date(),
  );
  subscriptionId = created.subscription.id;
  subscriptionSecret = created.secret;
  // An event sink's Standard Webhooks signing secret.
  const sink = await before.services.webServices.sinks.create({ url: 'https://sink.example/hook', types: null, connectors: null }, new Date());
  sinkId = sink.sink.id;
  sinkSecret = sink.secret;
});
afterEach(async () => {
  await after?.close();
  after = undefined;
  await before.close();
});

async function rekey(secretKeys: string, argv: string[] = [], extra: Record<string, string> = {}) {
  const lines: string[] = [];
  const errors: string[] = [];
  const progress: string[] = [];
  const code = await rekeyCommand(
    argv,
    { REDIS_URL: inject('redisUrl'), KEY_PREFIX: before.config.keyPrefix, SECRET_KEYS: secretKeys, ...extra },
    { out: (line) => lines.push(line), err: (line) => errors.push(line), progress: { isTTY: true, write: (chunk: string) => progress.push(chunk) } },
  );
  return { code, out: lines.join('\n'), err: errors.join('\n'), progress: progress.join('') };
}

const stored = (key: string) => before.inspect.get(key);
const tokensKey = (id: string) => keyNames(before.services.keys).installationTokens(id);
const sinkSealed = async () => (JSON.parse((await stored(`${before.config.keyPrefix}:sink:${sinkId}`)) ?? '{}') as { sealedSecret: string }).sealedSecret;
const subscriptionSealed = async () => (JSON.parse((await stored(keyNames(before.services.keys).ws.subscription(subscriptionId))) ?? '{}') as { sealedSecret: string }).sealedSecret;

describe('rekey', () => {
  it('re-encrypts tokens (v2 under k1 and v1) and subscription secrets under k2; the old keys can then go', async () => {
    const original = await before.services.tokens.get(inst.id);
    const run = await rekey(`k2:${k2},k1:${k1}`, ['--batch-size', '2'], { SECRET_KEY: LEGACY_HEX });
    expect(run.code).toBe(0);
    expect(run.out).toContain('4 secret(s) re-encrypted under key "k2"');
    expect(run.out).toContain('0 unreadable');
    expect(run.progress).toContain('\r');
    expect(run.progress).toContain('provider tokens: ');
    expect(await stored(tokensKey(inst.id))).toMatch(/^v3\.k2\./);
    expect(await stored(tokensKey('inst-legacy'))).toMatch(/^v3\.k2\./);
    expect(await subscriptionSealed()).toMatch(/^v3\.k2\./);
    expect(await sinkSealed()).toMatch(/^v3\.k2\./);
    // Nothing to resume from once finished.
    expect(await before.inspect.exists(`${before.config.keyPrefix}:rekey:checkpoints`)).toBe(0);

    // The same deployment with k2 alone: every secret opens, and a poll reaches the cloud.
    after = await startHostCore({ fakes: { [NEUTRAL_CONNECTOR]: before.fake }, connectors: await neutralConnectors(), env: { KEY_PREFIX: before.config.keyPrefix, SECRET_KEYS: `k2:${k2}` } });
    expect((await after.services.tokens.get(inst.id))?.tokens).toEqual(original?.tokens);
    expect((await after.services.tokens.get('inst-legacy'))?.tokens.accessToken).toBe('legacy-access');
    expect((await after.services.webServices.subscriptions.withSecret(subscriptionId))?.secret).toBe(subscriptionSecret);
    expect((await after.services.webServices.sinks.withSecret(sinkId))?.secret).toBe(sinkSecret);
    expect((await syncInstallation(after.services, inst.id)).kind).not.toBe('skipped');
  });

  it('run twice => the second finds everything current, changes nothing, exit 0', async () => {
    expect((await rekey(`k2:${k2},k1:${k1}`, [], { SECRET_KEY: LEGACY_HEX })).code).toBe(0);
    const values = [await stored(tokensKey(inst.id)), await stored(tokensKey('inst-legacy')), await subscriptionSealed(), await sinkSealed()];
    const second = await rekey(`k2:${k2},k1:${k1}`, [], { SECRET_KEY: LEGACY_HEX });
    expect(second.code).toBe(0);
    expect(second.out).toContain('0 secret(s) re-encrypted');
    expect(second.out).toContain('4 already current');
    expect([await stored(tokensKey(inst.id)), await stored(tokensKey('inst-legacy')), await subscriptionSealed(), await sinkSealed()]).toEqual(values);
  });

  it('an interrupted run resumes from its checkpoint (a family finished before is not scanned again)', async () => {
    // As a run stopped right after finishing the provider tokens would have left it.
    await new RedisRekeyCheckpoints(before.inspect, `${before.config.keyPrefix}:rekey:checkpoints`).save('provider tokens', 'v3.k2', 'done');
    const resumed = await rekey(`k2:${k2},k1:${k1}`, [], { SECRET_KEY: LEGACY_HEX });
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('2 secret(s) re-encrypted');
    expect(await subscriptionSealed()).toMatch(/^v3\.k2\./);
    expect(await stored(tokensKey(inst.id))).toMatch(/^v3\.k1\./);
    // A checkpoint made under another first key is ignored: k3 starts over and covers everything.
    await new RedisRekeyCheckpoints(before.inspect, `${before.config.keyPrefix}:rekey:checkpoints`).save('provider tokens', 'v3.k2', 'done');
    const k3 = hex();
    const other = await rekey(`k3:${k3},k2:${k2},k1:${k1}`, [], { SECRET_KEY: LEGACY_HEX });
    expect(other.out).toContain('4 secret(s) re-encrypted under key "k3"');
  });

  it('v2 secrets under the first key itself => re-sealed as v3, token sets in the compact shape; a checkpoint towards v2 is ignored', async () => {
    // As seal() wrote before v3: v2, the full field names, under k1 (which stays first).
    const plain = JSON.stringify({ accessToken: 'old-access', refreshToken: 'old-refresh', expiresAt: 1_800_000_000_000, scope: 'read', tokenType: 'Bearer' });
    const v2 = `v2.k1.${encrypt(Buffer.from(k1, 'hex'), plain, 'inst-v2').slice('v1.'.length)}`;
    await before.inspect.set(tokensKey('inst-v2'), v2);
    // A run of the code before v3 stopped after the tokens: its checkpoint named the key alone.
    await new RedisRekeyCheckpoints(before.inspect, `${before.config.keyPrefix}:rekey:checkpoints`).save('provider tokens', 'k1', 'done');
    const run = await rekey(`k1:${k1}`, [], { SECRET_KEY: LEGACY_HEX });
    expect(run.code).toBe(0);
    // The linked installation's tokens and both Web Services secrets were sealed as v3 under k1 already; the legacy v1 and this v2 were not.
    expect(run.out).toContain('2 secret(s) re-encrypted under key "k1"');
    expect(run.out).toContain('3 already current');
    const resealed = (await stored(tokensKey('inst-v2'))) ?? '';
    expect(resealed).toMatch(/^v3\.k1\./);
    expect(resealed.length).toBeLessThan(v2.length);
    const ring = new SecretKeyring([{ id: 'k1', key: Buffer.from(k1, 'hex') }]);
    expect(JSON.parse(ring.open(resealed, 'inst-v2'))).toEqual({ a: 'old-access', r: 'old-refresh', e: 1_800_000_000_000, s: 'read', t: 'Bearer' });
    expect((await before.services.tokens.get('inst-v2'))?.tokens).toEqual({ accessToken: 'old-access', refreshToken: 'old-refresh', expiresAt: 1_800_000_000_000, scope: 'read', tokenType: 'Bearer' });
    expect(await stored(tokensKey('inst-legacy'))).toMatch(/^v3\.k1\./);
    expect((await rekey(`k1:${k1}`, [], { SECRET_KEY: LEGACY_HEX })).out).toContain('0 secret(s) re-encrypted');
  });

  it('a token refreshed between the scan and the write => the refreshed one stays (compare-and-set)', async () => {
    const ring = new SecretKeyring([
      { id: 'k2', key: Buffer.from(k2, 'hex') },
      { id: 'k1', key: Buffer.from(k1, 'hex') },
    ]);
    const store = new ProviderTokenStore(before.services.redis, before.services.keys, ring);
    const scanned = [];
    let cursor = '0';
    do {
      const batch = await store.scanSealed(cursor, 100);
      scanned.push(...batch.records);
      cursor = batch.cursor;
    } while (cursor !== '0');
    const record = scanned.find((r) => r.id === inst.id);
    if (!record) throw new Error('installation tokens not scanned');
    const refreshed = { accessToken: 'refreshed-access', refreshToken: 'refreshed-refresh', expiresAt: Date.now() + 3_600_000, scope: undefined, tokenType: undefined };
    await before.services.tokens.put(inst.id, refreshed);
    const resealed = ring.reseal(record.sealed, record.id);
    expect(await store.replaceSealed([{ record, sealed: resealed as string }])).toEqual([false]);
    expect((await store.get(inst.id))?.tokens.accessToken).toBe('refreshed-access');
  });

  it('a secret under an unknown key id => counted unreadable and left as it is, exit 0', async () => {
    const lost = SecretKeyring.single(randomBytes(32), 'k0').seal('{"accessToken":"x"}', 'inst-lost');
    await before.inspect.set(tokensKey('inst-lost'), lost);
    const run = await rekey(`k2:${k2},k1:${k1}`, [], { SECRET_KEY: LEGACY_HEX });
    expect(run.code).toBe(0);
    expect(run.out).toContain('4 secret(s) re-encrypted');
    expect(run.out).toContain('1 unreadable');
    expect(run.err).toContain('1 secret(s) open with no configured key');
    expect(run.out + run.err).not.toContain('accessToken');
    expect(await stored(tokensKey('inst-lost'))).toBe(lost);
  });

  it('bad usage or configuration => exit 2 with a line saying what; Redis unreachable => exit 1', async () => {
    const cases: [string[], Record<string, string | undefined>, string][] = [
      [['--batch-size', '0'], { SECRET_KEYS: `k2:${k2}` }, '--batch-size'],
      [['--nope'], { SECRET_KEYS: `k2:${k2}` }, 'usage'],
      [[], { SECRET_KEYS: 'k2=abc' }, 'SECRET_KEYS: entry 1'],
      [[], { SECRET_KEYS: `k1:${k1},k1:${k2}` }, 'appears twice'],
      [[], { SECRET_KEYS: undefined }, 'SECRET_KEYS (or SECRET_KEY) must be set'],
      [[], { SECRET_KEYS: `k2:${k2}`, REDIS_URL: undefined }, 'REDIS_URL'],
    ];
    for (const [argv, env, expected] of cases) {
      const lines: string[] = [];
      const code = await rekeyCommand(
        argv,
        { REDIS_URL: inject('redisUrl'), KEY_PREFIX: before.config.keyPrefix, ...env },
        { out: (line) => lines.push(line), err: (line) => lines.push(`stderr: ${line}`), progress: { write: () => true } },
      );
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(lines.join('\n')).toContain(`stderr: rekey: `);
      expect(lines.join('\n')).toContain(expected);
      expect(lines.join('\n')).not.toContain(k1);
    }
    const lines: string[] = [];
    const code = await rekeyCommand([], { REDIS_URL: 'redis://127.0.0.1:1', SECRET_KEYS: `k2:${k2}` }, { out: (l) => lines.push(l), err: (l) => lines.push(l), progress: { write: () => true } });
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain('not reachable');
    // Nothing was touched by any of them.
    expect(await stored(tokensKey(inst.id))).toMatch(/^v3\.k1\./);
  });
});

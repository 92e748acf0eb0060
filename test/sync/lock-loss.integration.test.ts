import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { eventually, link, type LinkedInstallation } from '../helpers/link';
import { AppError } from '../../src/runtime/errors';
import { outcomeOf } from '../../src/cloud/errors';
import { syncInstallation } from '../../src/sync/sync-installation';
import { SYNC_LOCK_RENEW_MS, withSyncLock } from '../../src/sync/with-sync-lock';
import { keyNames } from '../helpers/key-names';

/**
 * A sync holds the installation's lock for as long as its cloud calls take. If the lock is lost
 * meanwhile (its extension failed, it expired, another holder took it), the sync must not write:
 * before, it went on and wrote the devices, the events and the cursor over the new holder's work.
 */

let host: NeutralHost;
let inst: LinkedInstallation;

beforeEach(async () => {
  host = await startNeutralHost({ env: { HTTP_TIMEOUT_MS: '30000' } }); // the fake is slowed on purpose below
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
  const res = await host.admin(`/api/installations/${inst.id}/settings`, {
    method: 'PUT',
    body: JSON.stringify({ devices: ['dev-1', 'dev-2'] }),
  });
  expect(res.status).toBe(200);
});
afterEach(async () => {
  host.fake.setLatency(0);
  await host.close();
});

/** Every record a sync may write for this installation, raw, to compare before and after. */
async function records(id: string) {
  const keys = keyNames(host.services.keys);
  return {
    devices: await host.inspect.getBuffer(keys.devices(id)),
    legacyDevices: await host.inspect.hgetall(keys.legacyDevices(id)),
    selection: (await host.inspect.smembers(keys.selection(id))).sort(),
    syncState: await host.inspect.hgetall(keys.syncState(id)),
    partitionEvents: await host.inspect.xlen(keys.partitionEventsOf(id)),
  };
}

/** Starts a sync whose cloud calls are slow, and waits until it holds the lock with a call in flight. */
async function syncInFlight(): Promise<{ sync: Promise<unknown> }> {
  host.fake.setLatency(3_000);
  const callsBefore = host.fake.calls.length;
  const sync = syncInstallation(host.services, inst.id, { full: true });
  sync.catch(() => undefined); // observed below; keep an early rejection from going unhandled
  await eventually(async () => host.fake.calls.length > callsBefore, 'the poll to reach the cloud');
  expect(await host.inspect.exists(keyNames(host.services.keys).syncLock(inst.id))).toBe(1);
  return { sync }; // wrapped: an async function would otherwise wait for it
}

describe('a sync that lost its lock', () => {
  it('lock taken by another holder mid-poll => lock_lost, no device, event or cursor written, the other lock kept', async () => {
    host.fake.rename('dev-1', 'Den'); // the poll would otherwise write a rename
    const before = await records(inst.id);
    const { sync } = await syncInFlight();
    const lockKey = keyNames(host.services.keys).syncLock(inst.id);
    // What an expiry followed by another worker's acquire leaves: the key holds someone else's token.
    await host.inspect.set(lockKey, 'another-holder', 'PX', 60_000);

    await expect(sync).rejects.toMatchObject({ code: 'lock_lost' });
    expect(await records(inst.id)).toEqual(before);
    expect(await host.inspect.get(lockKey)).toBe('another-holder');

    // Once the other holder is done, the retry applies the rename.
    await host.inspect.del(lockKey);
    host.fake.setLatency(0);
    expect(await syncInstallation(host.services, inst.id, { full: true })).toMatchObject({ kind: 'applied' });
    expect((await host.services.devices.list(inst.id)).some((d) => d.name === 'Den')).toBe(true);
  }, 30_000);

  it('lock expired mid-poll (key gone, extension finds nothing) => lock_lost, nothing written, no lock left behind', async () => {
    host.fake.remove('dev-2');
    const before = await records(inst.id);
    const { sync } = await syncInFlight();
    await host.inspect.del(keyNames(host.services.keys).syncLock(inst.id));

    await expect(sync).rejects.toMatchObject({ code: 'lock_lost' });
    expect(await records(inst.id)).toEqual(before);
    expect(await host.inspect.exists(keyNames(host.services.keys).syncLock(inst.id))).toBe(0);
  }, 30_000);

  it('lock_lost is retryable: the poll job retries instead of failing for good', async () => {
    expect(outcomeOf(new AppError('lock_lost'))).toBe('retry');
  });
});


describe('withSyncLock renewal', () => {
  it('a renewal that finds the lock taken => fence marked lost, assertHeld() throws lock_lost before any write', async () => {
    const lockKey = keyNames(host.services.keys).syncLock(inst.id);
    const outcome = withSyncLock(host.services, inst.id, async (_, fence) => {
      await host.inspect.set(lockKey, 'another-holder', 'PX', 60_000);
      await eventually(async () => fence.lost, 'a renewal to find the lock lost', SYNC_LOCK_RENEW_MS * 3);
      fence.assertHeld();
      return 'wrote anyway';
    });
    await expect(outcome).rejects.toMatchObject({ code: 'lock_lost' });
    // The release is owner-checked: the other holder's lock survives ours being let go.
    expect(await host.inspect.get(lockKey)).toBe('another-holder');
    await host.inspect.del(lockKey);
  }, 30_000);
});

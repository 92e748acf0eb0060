import { randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../helpers/host';
import { link } from '../helpers/link';
import { keyNames } from '../helpers/key-names';
import { outcomeOf } from '../../src/cloud/errors';
import { DeviceStore, reconcile, type Reconciliation } from '../../src/platform';
import { encodeDevices } from '../../src/platform/device-store';
import { syncInstallation } from '../../src/sync/sync-installation';
import { withSyncLock } from '../../src/sync/with-sync-lock';
import type { ChildDevice } from '../../src/connectors';

/**
 * Issue 16.4: an installation's devices are one string value (a format byte, then their JSON by
 * externalId, deflated when shorter) instead of a hash of one field per device. The hash written
 * before still reads, and the first write converts it under the same fence.
 */

let host: TestHost;
beforeEach(async () => {
  host = await startTestHost();
});
afterEach(async () => {
  await host.close();
});

const keys = () => keyNames(host.services.keys);
const none: Reconciliation = { add: [], remove: [], rename: [], update: [] };

function device(i: number, over: Partial<ChildDevice> = {}): ChildDevice {
  const externalId = `ext-${String(i).padStart(4, '0')}`;
  return {
    id: `dev-${externalId}`,
    externalId,
    name: `Thermostat ${i}`,
    label: `Thermostat ${i}`,
    labelSet: false,
    type: 'thermostat',
    attributes: { temperature: 60 + (i % 20), humidity: 30 + (i % 50), mode: i % 2 ? 'heat' : 'cool', online: true, note: null },
    updatedAt: '2026-12-01T00:00:00.000Z',
    ...over,
  };
}

/** The stored JSON objects by externalId, decoded by hand (not through the store). */
async function storedObjects(id: string): Promise<Record<string, Record<string, unknown>> | null> {
  const raw = await host.inspect.getBuffer(keys().devices(id));
  if (!raw) return null;
  const body = raw[0] === 1 ? inflateRawSync(raw.subarray(1)) : raw.subarray(1);
  return JSON.parse(body.toString('utf8')) as Record<string, Record<string, unknown>>;
}

const applyLocked = (id: string, r: Reconciliation, store: DeviceStore = host.services.devices) =>
  withSyncLock(host.services, id, (_, fence) => store.apply(id, r, fence));

describe('devices as one value', () => {
  it('a poll stores one value (no hash); a poll that changes nothing leaves its bytes alone', async () => {
    const inst = await link(host);
    await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['311000000001', '311000000002'] }) });
    await syncInstallation(host.services, inst.id);
    expect(await host.inspect.type(keys().devices(inst.id))).toBe('string');
    expect(await host.inspect.exists(keys().legacyDevices(inst.id))).toBe(0);
    expect(Object.keys((await storedObjects(inst.id)) ?? {}).sort()).toEqual(['311000000001', '311000000002']);

    // The same devices in the plain form: a rewrite would deflate them again, so equal bytes prove none happened.
    const plain = Buffer.concat([Buffer.of(0), Buffer.from(JSON.stringify(await storedObjects(inst.id)))]);
    await host.inspect.set(keys().devices(inst.id), plain);
    expect(await syncInstallation(host.services, inst.id, { full: true })).toEqual({ kind: 'applied', changes: { add: [], remove: [], rename: [], update: [], recontext: [] } });
    expect(await host.inspect.getBuffer(keys().devices(inst.id))).toEqual(plain);
  });

  it('300 devices round trip; a label and a removal rewrite the value whole', async () => {
    const id = randomUUID();
    const all = Array.from({ length: 300 }, (_, i) => device(i));
    await applyLocked(id, { ...none, add: all });
    const byName = (a: ChildDevice, b: ChildDevice) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
    expect(await host.services.devices.list(id)).toEqual([...all].sort(byName));
    expect(await host.services.devices.count(id)).toBe(300);
    const bytes = (await host.inspect.getBuffer(keys().devices(id)))?.length ?? 0;
    // Deflated: far below the ~45 KB of JSON.
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(12_000);

    const target = all[7] as ChildDevice;
    await withSyncLock(host.services, id, (_, fence) => host.services.devices.setLabel(id, target, 'Hall', fence));
    await applyLocked(id, { ...none, remove: all.slice(150) });
    const after = await host.services.devices.byExternalId(id);
    expect(after.size).toBe(150);
    expect(after.get(target.externalId)).toEqual({ ...target, label: 'Hall', labelSet: true });
    expect(after.get((all[8] as ChildDevice).externalId)).toEqual(all[8]);

    await applyLocked(id, { ...none, remove: [...after.values()] });
    expect(await host.inspect.exists(keys().devices(id))).toBe(0);
    expect(await host.services.devices.list(id)).toEqual([]);
  });
});

describe('the hash written before issue 16.4', () => {
  async function plantLegacy(id: string): Promise<ChildDevice[]> {
    const full = device(1, { label: 'Attic (old label)' }); // the earlier full form, label not the name
    const labelled = device(2, { label: 'Loft', labelSet: true });
    const short = device(3);
    const { externalId: _e, label: _l, labelSet: _s, ...shortForm } = short;
    await host.inspect.hset(keys().legacyDevices(id), full.externalId, JSON.stringify(full), labelled.externalId, JSON.stringify(labelled), short.externalId, JSON.stringify(shortForm));
    return [full, labelled, short];
  }

  it('reads as written; the first write converts it and deletes the hash in the same script', async () => {
    const id = randomUUID();
    const [full, labelled, short] = (await plantLegacy(id)) as [ChildDevice, ChildDevice, ChildDevice];
    const read = await host.services.devices.byExternalId(id);
    expect(read.get(full.externalId)).toEqual(full);
    expect(read.get(labelled.externalId)).toEqual(labelled);
    expect(read.get(short.externalId)).toEqual(short);
    expect(await host.services.devices.count(id)).toBe(3);

    const changes = reconcile({
      installationId: id,
      current: read,
      snapshot: [{ externalId: short.externalId, attributes: { temperature: 99 } }],
      complete: false,
      selected: new Set([full, labelled, short].map((d) => d.externalId)),
      now: '2026-12-04T00:00:00.000Z',
    });
    expect(changes.update).toHaveLength(1);
    await applyLocked(id, changes);

    expect(await host.inspect.exists(keys().legacyDevices(id))).toBe(0);
    const after = await host.services.devices.byExternalId(id);
    // A label the user never set follows the name (reconcile always kept them equal): the short form keeps only the name.
    expect(after.get(full.externalId)).toEqual({ ...full, label: full.name });
    expect(after.get(labelled.externalId)).toEqual(labelled);
    expect(after.get(short.externalId)?.attributes['temperature']).toBe(99);
    // In the short form now: no externalId, no label the user did not set.
    expect((await storedObjects(id))?.[labelled.externalId]).toMatchObject({ label: 'Loft', labelSet: true });
    expect((await storedObjects(id))?.[short.externalId]).not.toHaveProperty('externalId');
  });

  it('both present (an earlier process wrote the hash after the conversion): the value wins', async () => {
    const id = randomUUID();
    await applyLocked(id, { ...none, add: [device(9)] });
    await plantLegacy(id);
    expect((await host.services.devices.list(id)).map((d) => d.externalId)).toEqual([device(9).externalId]);
    await applyLocked(id, { ...none, add: [device(10)] });
    expect(await host.inspect.exists(keys().legacyDevices(id))).toBe(0);
    expect((await host.services.devices.list(id)).map((d) => d.externalId).sort()).toEqual([device(9).externalId, device(10).externalId]);
  });

  it('a conversion under a lost lock writes nothing: the hash stays, no value appears', async () => {
    const id = randomUUID();
    await plantLegacy(id);
    const before = await host.inspect.hgetall(keys().legacyDevices(id));
    const write = withSyncLock(host.services, id, async (_, fence) => {
      await host.inspect.set(keys().syncLock(id), 'another-holder', 'PX', 60_000);
      await host.services.devices.setLabel(id, device(1), 'Stolen', fence);
    });
    await expect(write).rejects.toMatchObject({ code: 'lock_lost' });
    expect(await host.inspect.hgetall(keys().legacyDevices(id))).toEqual(before);
    expect(await host.inspect.exists(keys().devices(id))).toBe(0);
  });

  it('uninstall deletes both', async () => {
    const id = randomUUID();
    await applyLocked(id, { ...none, add: [device(1)] });
    await plantLegacy(id);
    await host.services.devices.forgetInstallation(id);
    expect(await host.inspect.exists(keys().devices(id), keys().legacyDevices(id))).toBe(0);
  });
});

describe('writers that overlap', () => {
  it('a writer whose lock expired, and was taken by a second process, cannot write its stale whole value', async () => {
    const id = randomUUID();
    await applyLocked(id, { ...none, add: [device(1), device(2)] });
    // A second process: its own connection and store.
    const other = new DeviceStore(host.inspect, host.services.keys, host.services.events);
    const first = withSyncLock(host.services, id, async (_, fence) => {
      const current = await host.services.devices.byExternalId(id);
      // The lock expires mid-work; the other process takes it and adds a device.
      await host.inspect.del(keys().syncLock(id));
      await withSyncLock({ ...host.services, redis: host.inspect }, id, (__, otherFence) => other.apply(id, { ...none, add: [device(3)] }, otherFence));
      // The first writer still holds what it read: writing it whole would drop device 3.
      await host.services.devices.apply(id, { ...none, remove: [current.get(device(1).externalId) as ChildDevice] }, fence);
    });
    await expect(first).rejects.toMatchObject({ code: 'lock_lost' });
    expect((await host.services.devices.list(id)).map((d) => d.externalId).sort()).toEqual([1, 2, 3].map((i) => device(i).externalId));
  });
});

describe('a corrupt value', () => {
  it.each([
    ['a damaged deflated body', Buffer.of(1, 0xde, 0xad, 0xbe, 0xef)],
    ['an unknown format byte', Buffer.from('xyz')],
    ['malformed JSON', Buffer.concat([Buffer.of(0), Buffer.from('{"a":')])],
    ['a device of the wrong shape', Buffer.concat([Buffer.of(0), Buffer.from('{"a":{"id":1}}')])],
    ['not an object', Buffer.concat([Buffer.of(0), Buffer.from('[1,2]')])],
  ])('%s => record_unreadable, which ends a poll job instead of retrying it', async (_, raw) => {
    const id = randomUUID();
    await host.inspect.set(keys().devices(id), raw);
    const err = await host.services.devices.list(id).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'record_unreadable', status: 500 });
    expect((err as Error).message).toContain(id);
    expect(outcomeOf(err)).toBe('fatal');
    // A write refuses too (it would otherwise replace every device with nothing), and writes nothing.
    await expect(applyLocked(id, { ...none, add: [device(1)] })).rejects.toMatchObject({ code: 'record_unreadable' });
    expect(await host.inspect.getBuffer(keys().devices(id))).toEqual(raw);
    // Uninstall still clears it.
    await host.services.devices.forgetInstallation(id);
    expect(await host.services.devices.list(id)).toEqual([]);
  });

  it('a poll of an installation with a corrupt value fails with record_unreadable and records it in health', async () => {
    const inst = await link(host);
    await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['311000000001'] }) });
    await host.inspect.set(keys().devices(inst.id), Buffer.of(1, 2, 3));
    await expect(syncInstallation(host.services, inst.id, { full: true })).rejects.toMatchObject({ code: 'record_unreadable' });
    expect(JSON.parse((await host.inspect.hget(keys().syncState(inst.id), 'lastError')) ?? '{}')).toMatchObject({ code: 'record_unreadable' });
  });

  it('encodeDevices of nothing is still a readable value', () => {
    expect(encodeDevices([])[0]).toBe(0);
  });
});

describe('the sync cursor', () => {
  const setCursor = (id: string, cursor: string | undefined) =>
    withSyncLock(host.services, id, (_, fence) => host.services.devices.setCursor(id, { cursor }, fence));

  it('a short one stays in the sync-state hash; a long one gets a key of its own, deflated, and the hash stays a listpack', async () => {
    const id = randomUUID();
    await setCursor(id, 'rev-1');
    expect(await host.inspect.hget(keys().syncState(id), 'cursor')).toBe('rev-1');
    expect(await host.inspect.exists(keys().cursor(id))).toBe(0);

    const long = Array.from({ length: 3 }, (_, i) => `31100000000${i}:Living Room:true:261204201059:261204201061:261204201060`).join('|');
    await withSyncLock(host.services, id, (_, fence) =>
      host.services.devices.setCursor(id, { cursor: long }, fence, (batch) => batch.hset(keys().syncState(id), 'lastSuccessAt', '1764892800000')),
    );
    expect(await host.services.devices.getCursor(id)).toBe(long);
    expect(await host.inspect.hget(keys().syncState(id), 'cursor')).toBeNull();
    expect(await host.inspect.object('ENCODING', keys().syncState(id))).toBe('listpack');
    expect((await host.inspect.getBuffer(keys().cursor(id)))?.length).toBeLessThan(long.length);

    await setCursor(id, 'rev-2');
    expect(await host.services.devices.getCursor(id)).toBe('rev-2');
    expect(await host.inspect.exists(keys().cursor(id))).toBe(0);
    await setCursor(id, long);
    await setCursor(id, undefined);
    expect(await host.services.devices.getCursor(id)).toBeUndefined();
    expect(await host.inspect.exists(keys().cursor(id))).toBe(0);
  });

  it("an earlier version's long cursor in the hash reads; the next write moves it; uninstall deletes the key", async () => {
    const id = randomUUID();
    const long = 'c'.repeat(200);
    await host.inspect.hset(keys().syncState(id), 'cursor', long);
    expect(await host.services.devices.getCursor(id)).toBe(long);
    await setCursor(id, `${long}2`);
    expect(await host.inspect.hget(keys().syncState(id), 'cursor')).toBeNull();
    expect(await host.services.devices.getCursor(id)).toBe(`${long}2`);
    await host.services.devices.forgetInstallation(id);
    expect(await host.inspect.exists(keys().cursor(id), keys().syncState(id))).toBe(0);
  });

  it('under a lost lock nothing is written', async () => {
    const id = randomUUID();
    await setCursor(id, 'rev-1');
    const write = withSyncLock(host.services, id, async (_, fence) => {
      await host.inspect.set(keys().syncLock(id), 'another-holder', 'PX', 60_000);
      await host.services.devices.setCursor(id, { cursor: 'z'.repeat(300) }, fence);
    });
    await expect(write).rejects.toMatchObject({ code: 'lock_lost' });
    expect(await host.services.devices.getCursor(id)).toBe('rev-1');
    expect(await host.inspect.exists(keys().cursor(id))).toBe(0);
  });
});

describe('the device selection', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `31100000000${i}`);
  const setSelection = (id: string, externalIds: readonly string[]) =>
    withSyncLock(host.services, id, (_, fence) => host.services.devices.setSelection(id, externalIds, fence));
  const deselect = (id: string, externalIds: string[]) =>
    withSyncLock(host.services, id, (_, fence) => host.services.devices.apply(id, none, fence, { deselect: externalIds }));
  const selected = async (id: string) => [...(await host.services.devices.selected(id))].sort();
  /** Where the selection is stored: the hash field's raw value and the set's members. */
  const places = async (id: string) => ({
    field: await host.inspect.hget(keys().syncState(id), 'selected'),
    set: (await host.inspect.smembers(keys().selection(id))).sort(),
  });

  it('a short one is a field of the sync-state hash (no key of its own), which stays a listpack; a poll reads it', async () => {
    const inst = await link(host);
    const res = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ['311000000001', '311000000002'] }) });
    expect(res.status).toBe(200);
    expect(await places(inst.id)).toEqual({ field: '["311000000001","311000000002"]', set: [] });
    expect(await host.inspect.exists(keys().selection(inst.id))).toBe(0);
    expect(await host.inspect.object('ENCODING', keys().syncState(inst.id))).toBe('listpack');
    // The poll (its first round trip) and the operator API read the same selection.
    await syncInstallation(host.services, inst.id, { full: true });
    expect((await host.services.devices.list(inst.id)).map((d) => d.externalId).sort()).toEqual(['311000000001', '311000000002']);
    const api = await host.admin(`/api/installations/${inst.id}/settings`);
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ devices: ['311000000001', '311000000002'] });
  });

  it('a long one is the set (no field); switching between the two forms either way leaves only one', async () => {
    const id = randomUUID();
    const long = ids(5);
    expect(JSON.stringify(long).length).toBeGreaterThan(64);
    await setSelection(id, long);
    expect(await places(id)).toEqual({ field: null, set: long });
    expect(await selected(id)).toEqual(long);

    await setSelection(id, ids(2));
    expect(await places(id)).toEqual({ field: JSON.stringify(ids(2)), set: [] });
    expect(await selected(id)).toEqual(ids(2));

    await setSelection(id, long);
    expect(await places(id)).toEqual({ field: null, set: long });

    // Empty is stored as neither, as an empty set always was: nothing selected.
    await setSelection(id, []);
    expect(await places(id)).toEqual({ field: null, set: [] });
    expect(await selected(id)).toEqual([]);
  });

  it('deselecting rewrites the selection whole, in the form its new size takes', async () => {
    const id = randomUUID();
    await setSelection(id, ids(5));
    await deselect(id, [ids(5)[0]!, ids(5)[1]!]);
    expect(await places(id)).toEqual({ field: JSON.stringify(ids(5).slice(2)), set: [] });
    await deselect(id, ['not-selected']);
    expect(await selected(id)).toEqual(ids(5).slice(2));
    await deselect(id, ids(5).slice(2));
    expect(await places(id)).toEqual({ field: null, set: [] });
    expect(await host.inspect.exists(keys().selection(id))).toBe(0);
  });

  it("an earlier version's set reads (poll included), and the next write, a selection or a deselect, converts it", async () => {
    const inst = await link(host);
    await host.inspect.sadd(keys().selection(inst.id), '311000000001', '311000000002');
    expect(await selected(inst.id)).toEqual(['311000000001', '311000000002']);
    await syncInstallation(host.services, inst.id, { full: true });
    expect((await host.services.devices.list(inst.id)).map((d) => d.externalId).sort()).toEqual(['311000000001', '311000000002']);

    await deselect(inst.id, ['311000000002']);
    expect(await places(inst.id)).toEqual({ field: '["311000000001"]', set: [] });

    await host.inspect.del(keys().syncState(inst.id));
    await host.inspect.sadd(keys().selection(inst.id), '311000000001');
    await setSelection(inst.id, ['311000000002']);
    expect(await places(inst.id)).toEqual({ field: '["311000000002"]', set: [] });
  });

  it('a field that does not decode => record_unreadable naming the installation (a read, not an empty selection)', async () => {
    const id = randomUUID();
    await host.inspect.hset(keys().syncState(id), 'selected', '{oops');
    const err = await host.services.devices.selected(id).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'record_unreadable' });
    expect((err as Error).message).toContain(id);
    // A new selection replaces it.
    await setSelection(id, ['a']);
    expect(await selected(id)).toEqual(['a']);
  });

  it('under a lost lock neither a selection nor a deselect writes anything', async () => {
    const id = randomUUID();
    await setSelection(id, ids(2));
    const before = await places(id);
    const steal = () => host.inspect.set(keys().syncLock(id), 'another-holder', 'PX', 60_000);
    const write = withSyncLock(host.services, id, async (_, fence) => {
      await steal();
      await host.services.devices.setSelection(id, ids(5), fence);
    });
    await expect(write).rejects.toMatchObject({ code: 'lock_lost' });
    expect(await places(id)).toEqual(before);
    await host.inspect.del(keys().syncLock(id));

    const del = withSyncLock(host.services, id, async (_, fence) => {
      await steal();
      await host.services.devices.apply(id, none, fence, { deselect: [ids(2)[0]!] });
    });
    await expect(del).rejects.toMatchObject({ code: 'lock_lost' });
    expect(await places(id)).toEqual(before);
  });

  it('uninstall removes both forms', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await setSelection(a, ids(2));
    await setSelection(b, ids(5));
    // Both at once, as a process of an earlier version could leave them.
    await host.inspect.sadd(keys().selection(a), 'x');
    for (const id of [a, b]) {
      await host.services.devices.forgetInstallation(id);
      expect(await host.inspect.exists(keys().selection(id), keys().syncState(id))).toBe(0);
      expect(await selected(id)).toEqual([]);
    }
  });
});

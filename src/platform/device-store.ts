import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AppError, execFenced, WriteBatch, type Fence } from '../runtime';
import type { EventLog, NewEvent } from './event-log';
import type { Reconciliation } from './reconcile-diff';
import type { Keys } from '../runtime';
import { deviceKeys, type DeviceKeys } from './device-keys';
import type { ChildDevice } from '../connectors';

const deviceSchema = z.object({
  id: z.string(),
  externalId: z.string(),
  name: z.string(),
  label: z.string(),
  labelSet: z.boolean(),
  type: z.string(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  updatedAt: z.string(),
});

/**
 * A device as stored: its externalId is the key it is stored under, and a label the user never
 * set is the cloud's name, so neither is repeated in the value (~65 bytes a device; issue 16.4).
 * Values written before, with both, read the same.
 */
type StoredDevice = Record<string, unknown>;

function storedDevice(d: ChildDevice): StoredDevice {
  const { externalId: _field, label, labelSet, ...rest } = d;
  return labelSet ? { ...rest, label, labelSet } : rest;
}

function deviceFromStored(externalId: string, value: StoredDevice): ChildDevice {
  return deviceSchema.parse({ externalId, label: value['name'], labelSet: false, ...value });
}

/**
 * One installation's devices as one string value: a format byte, then the JSON object of stored
 * devices by externalId, deflated when that is shorter. One value instead of a hash of one field
 * per device: each device's JSON is over hash-max-listpack-value, so that hash was a hash table
 * paying a dict entry and two allocations a device (1,304 → ~400 B for three thermostats).
 */
const PLAIN = 0x00;
const DEFLATED = 0x01;
/** Far above any real installation (300 thermostats inflate to ~100 KB): a bound, not a limit. */
const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

export function encodeDevices(devices: Iterable<ChildDevice>): Buffer {
  const byId: Record<string, StoredDevice> = {};
  for (const d of devices) byId[d.externalId] = storedDevice(d);
  const json = Buffer.from(JSON.stringify(byId), 'utf8');
  const deflated = deflateRawSync(json, { level: 9 });
  return deflated.length < json.length ? Buffer.concat([Buffer.of(DEFLATED), deflated]) : Buffer.concat([Buffer.of(PLAIN), json]);
}

/** The devices of `raw`, or AppError `record_unreadable` (a poll fails once, as fatal, instead of retrying forever). */
export function decodeDevices(installationId: string, raw: Buffer): ChildDevice[] {
  const unreadable = (why: string, cause?: unknown) =>
    new AppError('record_unreadable', { message: `The stored devices of installation ${installationId} cannot be read: ${why}.`, cause });
  let json: Buffer;
  if (raw[0] === PLAIN) json = raw.subarray(1);
  else if (raw[0] === DEFLATED) {
    try {
      json = inflateRawSync(raw.subarray(1), { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (err) {
      throw unreadable('its compressed body is corrupt', err);
    }
  } else throw unreadable('unknown format');
  let byId: unknown;
  try {
    byId = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw unreadable('its JSON is malformed', err);
  }
  if (typeof byId !== 'object' || byId === null || Array.isArray(byId)) throw unreadable('it is not an object of devices');
  try {
    return Object.entries(byId as Record<string, StoredDevice>).map(([externalId, value]) => deviceFromStored(externalId, value));
  } catch (err) {
    throw unreadable('a device does not have the stored shape', err);
  }
}

/** The events a reconciliation produces, in the order they are applied. */
export function eventsFor(installationId: string, r: Reconciliation): NewEvent[] {
  const events: NewEvent[] = [];
  for (const d of r.remove) {
    events.push({ type: 'device.removed', installationId, deviceId: d.id, data: { externalId: d.externalId, name: d.name } });
  }
  for (const d of r.add) {
    events.push({
      type: 'device.added',
      installationId,
      deviceId: d.id,
      data: { externalId: d.externalId, name: d.name, type: d.type, attributes: d.attributes },
    });
  }
  for (const { device, from } of r.rename) {
    events.push({ type: 'device.renamed', installationId, deviceId: device.id, data: { from, to: device.name } });
  }
  for (const { device, changed } of r.update) {
    events.push({ type: 'device.stateChanged', installationId, deviceId: device.id, data: { changed } });
  }
  return events;
}

/** What an installation's devices are stored as now: the one value's bytes, and whether the earlier hash is there too. */
interface Stored {
  devices: Map<string, ChildDevice>;
  raw: Buffer | null;
  legacy: boolean;
  /** Read only when asked (`read(…, true)`). */
  selected?: Set<string>;
}

/**
 * Child devices, the user's selection and the sync cursor of each installation. A reconciliation
 * and its events are written in one atomic batch, so readers never see a device without its event.
 * Those writes take the installation's sync lock as a `Fence` and commit only while it is still
 * held (checked in the same script): a sync that lost its lock mid-poll cannot overwrite the work
 * of the one that took it over.
 *
 * The devices are one value (`encodeDevices`), so each write reads them, changes them and writes
 * them whole. That read-modify-write is safe only because every writer holds the sync lock: the
 * read happens under it, and the fenced write commits only while it is still held.
 */
export class DeviceStore {
  private readonly keys: DeviceKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly events: EventLog,
  ) {
    this.keys = deviceKeys(keySpace);
  }

  /**
   * One round trip: the value and the hash of earlier versions (an absent key costs Redis next to
   * nothing), and the selection's two places when `withSelection`.
   */
  private async read(installationId: string, withSelection = false): Promise<Stored> {
    const pipeline = this.redis.pipeline().getBuffer(this.keys.devices(installationId)).hgetall(this.keys.legacyDevices(installationId));
    if (withSelection) this.queueSelectionRead(pipeline, installationId);
    const replies = (await pipeline.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const [[, raw] = [null, null], [, hash] = [null, {}], [, members] = [null, []], [, field] = [null, null]] = replies;
    const legacyFields = Object.entries((hash ?? {}) as Record<string, string>);
    const legacy = legacyFields.length > 0;
    // Both present only if a process of an earlier version wrote the hash after the conversion: the value wins.
    const list = raw instanceof Buffer ? decodeDevices(installationId, raw) : legacyFields.map(([externalId, value]) => legacyDevice(installationId, externalId, value));
    const devices = new Map(list.map((d) => [d.externalId, d]));
    const stored: Stored = { devices, raw: raw instanceof Buffer ? raw : null, legacy };
    if (withSelection) stored.selected = selectionFrom(installationId, members as string[] | null, field as string | null);
    return stored;
  }

  /**
   * Queues the write of `devices` as the installation's whole value on `batch` (its deletion when
   * there are none), converting an earlier hash (deleted in the same script); nothing when the
   * bytes would not change.
   */
  private queueWrite(batch: WriteBatch, installationId: string, stored: Stored, devices: Iterable<ChildDevice>): void {
    const key = this.keys.devices(installationId);
    const list = [...devices];
    if (stored.legacy) batch.del(this.keys.legacyDevices(installationId));
    if (list.length === 0) {
      if (stored.raw) batch.del(key);
      return;
    }
    const next = encodeDevices(list);
    if (!stored.raw || !next.equals(stored.raw)) batch.set(key, next);
  }

  async list(installationId: string): Promise<ChildDevice[]> {
    return [...(await this.read(installationId)).devices.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async byExternalId(installationId: string): Promise<Map<string, ChildDevice>> {
    return new Map((await this.list(installationId)).map((d) => [d.externalId, d]));
  }

  async get(installationId: string, deviceId: string): Promise<ChildDevice | undefined> {
    return (await this.list(installationId)).find((d) => d.id === deviceId);
  }

  async count(installationId: string): Promise<number> {
    return (await this.read(installationId)).devices.size;
  }

  async selected(installationId: string): Promise<Set<string>> {
    const replies = (await this.queueSelectionRead(this.redis.pipeline(), installationId).exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const [[, members] = [null, []], [, field] = [null, null]] = replies;
    return selectionFrom(installationId, members as string[] | null, field as string | null);
  }

  /** Replaces the selection; the caller reconciles afterwards. */
  async setSelection(installationId: string, externalIds: readonly string[], fence: Fence): Promise<void> {
    const batch = new WriteBatch();
    this.queueSelectionWrite(batch, installationId, externalIds);
    await execFenced(this.redis, fence, batch);
  }

  /**
   * Queues the selection's write in one of its two places and the deletion of the other, so a
   * selection written earlier as a set is converted. An empty selection is stored as neither, as
   * it always was (an empty set is no key), and reads as nothing selected.
   */
  private queueSelectionWrite(batch: WriteBatch, installationId: string, externalIds: Iterable<string>): void {
    const own = this.keys.selection(installationId);
    const hash = this.keys.syncState(installationId);
    const ids = [...new Set(externalIds)].sort();
    batch.del(own);
    if (ids.length === 0) {
      batch.hdel(hash, SELECTION_FIELD);
      return;
    }
    const inline = encodeSelection(ids);
    if (Buffer.byteLength(inline) <= SELECTION_IN_HASH_MAX) batch.hset(hash, SELECTION_FIELD, inline);
    else batch.sadd(own, ...ids).hdel(hash, SELECTION_FIELD);
  }

  /** SMEMBERS of the selection's own key, then HGET of its hash field: `selectionFrom` reads the two replies. */
  private queueSelectionRead(pipeline: ChainableCommander, installationId: string): ChainableCommander {
    return pipeline.smembers(this.keys.selection(installationId)).hget(this.keys.syncState(installationId), SELECTION_FIELD);
  }

  /**
   * `extra.connector` goes into each event's data: uninstall names it, as the installation will be gone when sinks route them.
   * The devices are read again here, under the caller's lock, so the whole value written is this reconciliation applied to what is stored.
   */
  async apply(installationId: string, r: Reconciliation, fence: Fence, extra: { deselect?: string[]; connector?: string } = {}): Promise<void> {
    fence.assertHeld();
    const deselect = extra.deselect ?? [];
    // The selection is read with the devices (same round trip) when some is deselected: it is written whole, in either place.
    const stored = await this.read(installationId, deselect.length > 0);
    const next = new Map(stored.devices);
    for (const d of r.remove) next.delete(d.externalId);
    for (const d of [...r.add, ...r.rename.map((x) => x.device), ...r.update.map((x) => x.device), ...(r.recontext ?? [])]) next.set(d.externalId, d);
    const batch = new WriteBatch();
    this.queueWrite(batch, installationId, stored, next.values());
    if (deselect.length > 0) {
      const selected = new Set(stored.selected);
      for (const id of deselect) selected.delete(id);
      this.queueSelectionWrite(batch, installationId, selected);
    }
    const events = eventsFor(installationId, r);
    if (extra.connector !== undefined) for (const e of events) e.data = { ...e.data, connector: extra.connector };
    this.events.appendTo(batch, events);
    await execFenced(this.redis, fence, batch);
  }

  /** The user's label; the cloud's `name` stays as the cloud says, and a reconciliation keeps the label (`labelSet`). */
  async setLabel(installationId: string, device: ChildDevice, label: string, fence: Fence): Promise<ChildDevice> {
    fence.assertHeld();
    const next: ChildDevice = { ...device, label, labelSet: true };
    const stored = await this.read(installationId);
    const devices = new Map(stored.devices).set(device.externalId, next);
    const batch = new WriteBatch();
    this.queueWrite(batch, installationId, stored, devices.values());
    await execFenced(this.redis, fence, batch);
    return next;
  }

  async getCursor(installationId: string): Promise<string | undefined> {
    const replies = (await this.queueCursorRead(this.redis.pipeline(), installationId).exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const [[, value] = [null, null], [, field] = [null, null]] = replies;
    return cursorFrom(installationId, value as Buffer | null, field as string | null);
  }

  /**
   * Writes the cursor when `change` is given (its `cursor` undefined: forget it), and whatever
   * `also` adds (health), in one fenced batch; nothing at all when both are empty. A cursor of up
   * to CURSOR_IN_HASH_MAX bytes goes in the sync-state hash, a longer one in a key of its own.
   */
  async setCursor(
    installationId: string,
    change: { cursor: string | undefined } | undefined,
    fence: Fence,
    also?: (batch: WriteBatch) => void,
  ): Promise<void> {
    const hash = this.keys.syncState(installationId);
    const own = this.keys.cursor(installationId);
    const batch = new WriteBatch();
    if (change) {
      const cursor = change.cursor;
      if (cursor !== undefined && Buffer.byteLength(cursor) > CURSOR_IN_HASH_MAX) batch.set(own, encodeCursor(cursor)).hdel(hash, 'cursor');
      else {
        batch.del(own);
        if (cursor === undefined) batch.hdel(hash, 'cursor');
        else batch.hset(hash, 'cursor', cursor);
      }
    }
    also?.(batch);
    await execFenced(this.redis, fence, batch);
  }

  /**
   * Queues a poll's reads on `pipeline`, in this order: the selection's own key (SMEMBERS), the
   * cursor's own key (GET), then one HMGET of the sync-state hash's `cursor` and `selected` fields;
   * `syncReadsFrom` reads the three replies.
   */
  queueSyncReads(pipeline: ChainableCommander, installationId: string): void {
    pipeline
      .smembers(this.keys.selection(installationId))
      .getBuffer(this.keys.cursor(installationId))
      .hmget(this.keys.syncState(installationId), 'cursor', SELECTION_FIELD);
  }

  private queueCursorRead(pipeline: ChainableCommander, installationId: string): ChainableCommander {
    return pipeline.getBuffer(this.keys.cursor(installationId)).hget(this.keys.syncState(installationId), 'cursor');
  }

  /** Uninstall: whatever is left of the installation's devices, selection and sync state. */
  async forgetInstallation(installationId: string): Promise<void> {
    const k = this.keys;
    await this.redis.del(k.selection(installationId), k.syncState(installationId), k.cursor(installationId), k.devices(installationId), k.legacyDevices(installationId));
  }
}

/** A field of the hash written before issue 16.4 (`storedDevice`'s JSON, or the earlier full form). */
function legacyDevice(installationId: string, externalId: string, raw: string): ChildDevice {
  try {
    return deviceFromStored(externalId, JSON.parse(raw) as StoredDevice);
  } catch (err) {
    throw new AppError('record_unreadable', { message: `The stored device ${externalId} of installation ${installationId} cannot be read.`, cause: err });
  }
}

/** The sync-state hash field holding a short selection (its own key, `…:selected`, holds a longer one). */
const SELECTION_FIELD = 'selected';

/**
 * Longest selection kept in the sync-state hash, for the reason of CURSOR_IN_HASH_MAX: inline, an
 * ecobee selection of three thermostats saves its own key (~170 B) for ~50 B in the hash.
 */
export const SELECTION_IN_HASH_MAX = 64;

/**
 * The selection's inline form: the JSON array of its externalIds. A cloud's ids are its own
 * strings (Netatmo's have a dot, another could have any separator), so no separator is safe.
 */
export function encodeSelection(externalIds: readonly string[]): string {
  return JSON.stringify(externalIds);
}

/**
 * Pure: the selection from its two places' replies. The set wins when it has members: only a
 * process of an earlier version writes it beside the field (a longer selection's write deletes the
 * field). AppError `record_unreadable` when the field does not decode.
 */
export function selectionFrom(installationId: string, members: readonly string[] | null | undefined, field: string | null | undefined): Set<string> {
  if (members && members.length > 0) return new Set(members);
  if (typeof field !== 'string') return new Set();
  let ids: unknown;
  try {
    ids = JSON.parse(field);
  } catch (err) {
    throw new AppError('record_unreadable', { message: `The device selection of installation ${installationId} cannot be read: its JSON is malformed.`, cause: err });
  }
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new AppError('record_unreadable', { message: `The device selection of installation ${installationId} cannot be read: it is not a list of ids.` });
  }
  return new Set(ids as string[]);
}

/**
 * Pure: the selection and the stored cursor from the replies of `queueSyncReads` (SMEMBERS, GET,
 * HMGET cursor selected).
 */
export function syncReadsFrom(
  installationId: string,
  members: readonly string[] | null | undefined,
  cursorValue: Buffer | null | undefined,
  fields: readonly (string | null)[] | null | undefined,
): { selected: Set<string>; cursor: string | undefined } {
  const [cursorField, selectionField] = fields ?? [];
  return { selected: selectionFrom(installationId, members, selectionField), cursor: cursorFrom(installationId, cursorValue, cursorField) };
}

/**
 * Longest cursor kept in the sync-state hash: Redis's default hash-max-listpack-value. One value
 * longer turns the whole hash into a hash table (ecobee's ~290-byte cursor made it 648 B; without
 * it the hash is a 136-byte listpack and the cursor, deflated to ~100 B, a key of its own).
 */
export const CURSOR_IN_HASH_MAX = 64;

/** A format byte (PLAIN / DEFLATED, as the devices' value), then the cursor, deflated when shorter. */
function encodeCursor(cursor: string): Buffer {
  const plain = Buffer.from(cursor, 'utf8');
  const deflated = deflateRawSync(plain, { level: 9 });
  return deflated.length < plain.length ? Buffer.concat([Buffer.of(DEFLATED), deflated]) : Buffer.concat([Buffer.of(PLAIN), plain]);
}

/**
 * Pure: the stored cursor from the replies of `queueSyncReads`' last two reads (its own key wins
 * over the hash field, which only an earlier version writes beside it); AppError
 * `record_unreadable` when its key does not decode.
 */
export function cursorFrom(installationId: string, value: Buffer | null | undefined, field: string | null | undefined): string | undefined {
  if (!(value instanceof Buffer)) return typeof field === 'string' ? field : undefined;
  const unreadable = (why: string, cause?: unknown) =>
    new AppError('record_unreadable', { message: `The sync cursor of installation ${installationId} cannot be read: ${why}.`, cause });
  if (value[0] === PLAIN) return value.subarray(1).toString('utf8');
  if (value[0] !== DEFLATED) throw unreadable('unknown format');
  try {
    return inflateRawSync(value.subarray(1), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (err) {
    throw unreadable('its compressed body is corrupt', err);
  }
}

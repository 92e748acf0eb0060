import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';
import { execFenced, WriteBatch, type Fence } from '../runtime';
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
 * A device as stored: the hash field is its externalId, and a label the user never set is the
 * cloud's name, so neither is repeated in the value (~65 bytes a device; issue 16.4). Values
 * written before, with both, read the same.
 */
function storedDevice(d: ChildDevice): string {
  const { externalId: _field, label, labelSet, ...rest } = d;
  return JSON.stringify(labelSet ? { ...rest, label, labelSet } : rest);
}

function deviceFromStored(externalId: string, raw: string): ChildDevice {
  const value = JSON.parse(raw) as Record<string, unknown>;
  return deviceSchema.parse({ externalId, label: value['name'], labelSet: false, ...value });
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

/**
 * Child devices, the user's selection and the sync cursor of each installation. A reconciliation
 * and its events are written in one atomic batch, so readers never see a device without its event.
 * Those writes take the installation's sync lock as a `Fence` and commit only while it is still
 * held (checked in the same script): a sync that lost its lock mid-poll cannot overwrite the work
 * of the one that took it over.
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

  async list(installationId: string): Promise<ChildDevice[]> {
    const all = await this.redis.hgetall(this.keys.devices(installationId));
    return Object.entries(all)
      .map(([externalId, raw]) => deviceFromStored(externalId, raw))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async byExternalId(installationId: string): Promise<Map<string, ChildDevice>> {
    return new Map((await this.list(installationId)).map((d) => [d.externalId, d]));
  }

  async get(installationId: string, deviceId: string): Promise<ChildDevice | undefined> {
    return (await this.list(installationId)).find((d) => d.id === deviceId);
  }

  async count(installationId: string): Promise<number> {
    return this.redis.hlen(this.keys.devices(installationId));
  }

  async selected(installationId: string): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys.selection(installationId)));
  }

  /** Replaces the selection; the caller reconciles afterwards. */
  async setSelection(installationId: string, externalIds: readonly string[], fence: Fence): Promise<void> {
    const batch = new WriteBatch().del(this.keys.selection(installationId));
    if (externalIds.length > 0) batch.sadd(this.keys.selection(installationId), ...externalIds);
    await execFenced(this.redis, fence, batch);
  }

  /** `extra.connector` goes into each event's data: uninstall names it, as the installation will be gone when sinks route them. */
  async apply(installationId: string, r: Reconciliation, fence: Fence, extra: { deselect?: string[]; connector?: string } = {}): Promise<void> {
    const batch = new WriteBatch();
    const key = this.keys.devices(installationId);
    for (const d of r.remove) batch.hdel(key, d.externalId);
    for (const d of [...r.add, ...r.rename.map((x) => x.device), ...r.update.map((x) => x.device), ...(r.recontext ?? [])]) {
      batch.hset(key, d.externalId, storedDevice(d));
    }
    if (extra.deselect?.length) batch.srem(this.keys.selection(installationId), ...extra.deselect);
    const events = eventsFor(installationId, r);
    if (extra.connector !== undefined) for (const e of events) e.data = { ...e.data, connector: extra.connector };
    this.events.appendTo(batch, events);
    await execFenced(this.redis, fence, batch);
  }

  /** The user's label; the cloud's `name` stays as the cloud says, and a reconciliation keeps the label (`labelSet`). */
  async setLabel(installationId: string, device: ChildDevice, label: string, fence: Fence): Promise<ChildDevice> {
    const next: ChildDevice = { ...device, label, labelSet: true };
    await execFenced(this.redis, fence, new WriteBatch().hset(this.keys.devices(installationId), device.externalId, storedDevice(next)));
    return next;
  }

  async getCursor(installationId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.syncState(installationId), 'cursor')) ?? undefined;
  }

  /**
   * Writes the cursor when `change` is given (its `cursor` undefined: forget it), and whatever
   * `also` adds (health), in one fenced batch; nothing at all when both are empty.
   */
  async setCursor(
    installationId: string,
    change: { cursor: string | undefined } | undefined,
    fence: Fence,
    also?: (batch: WriteBatch) => void,
  ): Promise<void> {
    const key = this.keys.syncState(installationId);
    const batch = new WriteBatch();
    if (change) {
      if (change.cursor === undefined) batch.hdel(key, 'cursor');
      else batch.hset(key, 'cursor', change.cursor);
    }
    also?.(batch);
    await execFenced(this.redis, fence, batch);
  }

  /** Queues a poll's reads on `pipeline`, in this order: the selection (SMEMBERS), then the stored cursor (HGET). */
  queueSyncReads(pipeline: ChainableCommander, installationId: string): void {
    pipeline.smembers(this.keys.selection(installationId));
    pipeline.hget(this.keys.syncState(installationId), 'cursor');
  }

  /** Uninstall: whatever is left of the installation's devices, selection and sync state. */
  async forgetInstallation(installationId: string): Promise<void> {
    await this.redis.del(this.keys.selection(installationId), this.keys.syncState(installationId), this.keys.devices(installationId));
  }
}

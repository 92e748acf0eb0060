import type { Redis } from 'ioredis';
import { z } from 'zod';
import { execFenced, WriteBatch, type Fence } from '../runtime';
import type { EventLog, NewEvent } from './event-log';
import type { Reconciliation } from './reconcile-diff';
import type { Keys } from '../runtime';
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
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly events: EventLog,
  ) {}

  async list(installationId: string): Promise<ChildDevice[]> {
    const all = await this.redis.hvals(this.keys.devices(installationId));
    return all
      .map((raw) => deviceSchema.parse(JSON.parse(raw)))
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

  async apply(installationId: string, r: Reconciliation, fence: Fence, extra: { deselect?: string[] } = {}): Promise<void> {
    const batch = new WriteBatch();
    const key = this.keys.devices(installationId);
    for (const d of r.remove) batch.hdel(key, d.externalId);
    for (const d of [...r.add, ...r.rename.map((x) => x.device), ...r.update.map((x) => x.device), ...(r.recontext ?? [])]) {
      batch.hset(key, d.externalId, JSON.stringify(d));
    }
    if (extra.deselect?.length) batch.srem(this.keys.selection(installationId), ...extra.deselect);
    this.events.appendTo(batch, eventsFor(installationId, r));
    await execFenced(this.redis, fence, batch);
  }

  async setLabel(installationId: string, device: ChildDevice, label: string, now: string): Promise<ChildDevice> {
    const next: ChildDevice = { ...device, label, labelSet: true, updatedAt: now };
    await this.redis.hset(this.keys.devices(installationId), device.externalId, JSON.stringify(next));
    return next;
  }

  async getCursor(installationId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.syncState(installationId), 'cursor')) ?? undefined;
  }

  async setCursor(installationId: string, cursor: string | undefined, fence: Fence): Promise<void> {
    const key = this.keys.syncState(installationId);
    await execFenced(this.redis, fence, cursor === undefined ? new WriteBatch().hdel(key, 'cursor') : new WriteBatch().hset(key, 'cursor', cursor));
  }
}

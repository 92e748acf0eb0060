import { deviceIdFor } from './device-id';
import type { Attributes, ChildDevice, DeviceContext, DeviceSnapshot } from '../connectors';

/** A partial view of a device (from a push message): name and type only when the message has them. */
export interface DeviceView {
  externalId: string;
  name?: string | undefined;
  type?: string | undefined;
  attributes: Attributes;
  context?: DeviceContext | undefined;
}

export interface Reconciliation {
  add: ChildDevice[];
  remove: ChildDevice[];
  rename: Array<{ device: ChildDevice; from: string }>;
  /** Devices whose attributes changed, with only the changed attributes. */
  update: Array<{ device: ChildDevice; changed: Attributes }>;
  /** Devices whose connector context alone changed: written, no event (it is not the device's state). */
  recontext?: ChildDevice[];
}

export interface ReconcileInput {
  installationId: string;
  /** The child devices we have now, by external id. */
  current: ReadonlyMap<string, ChildDevice>;
  /** What the cloud reported: full snapshots from a poll, or partial views from a push. */
  snapshot: readonly (DeviceSnapshot | DeviceView)[];
  /**
   * True only for a complete, successful listing of every device. A partial view (one page of
   * several, a webhook about one device) can add and update but never remove.
   */
  complete: boolean;
  selected: ReadonlySet<string>;
  now: string;
}

function changedAttributes(before: Attributes, after: Attributes): Attributes {
  const changed: Attributes = {};
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) changed[k] = v;
  return changed;
}

/**
 * Pure: desired devices (cloud ∩ selection) vs current child devices → the operations that make
 * them equal. Applying the result and reconciling again with the same input yields no operations.
 */
export function reconcile(input: ReconcileInput): Reconciliation {
  const out: Reconciliation = { add: [], remove: [], rename: [], update: [], recontext: [] };
  const seen = new Set<string>();
  for (const snap of input.snapshot) {
    if (seen.has(snap.externalId)) continue; // a cloud listing a device twice must not add it twice
    seen.add(snap.externalId);
    if (!input.selected.has(snap.externalId)) continue;
    const existing = input.current.get(snap.externalId);
    if (!existing) {
      // A partial view without name and type cannot create a device; the next poll will.
      if (snap.name === undefined || snap.type === undefined) continue;
      out.add.push({
        id: deviceIdFor(input.installationId, snap.externalId),
        externalId: snap.externalId,
        name: snap.name,
        label: snap.name,
        labelSet: false,
        type: snap.type,
        attributes: { ...snap.attributes },
        ...(snap.context ? { context: snap.context } : {}),
        updatedAt: input.now,
      });
      continue;
    }
    const changed = changedAttributes(existing.attributes, snap.attributes);
    const name = snap.name ?? existing.name;
    const renamed = existing.name !== name;
    // A partial view (a push) says nothing about the context: only a snapshot that has one moves it.
    const recontexted = snap.context !== undefined && !sameContext(existing.context, snap.context);
    if (!renamed && Object.keys(changed).length === 0 && !recontexted) continue;
    const device: ChildDevice = {
      ...existing,
      name,
      label: existing.labelSet ? existing.label : name,
      attributes: { ...existing.attributes, ...snap.attributes },
      ...(recontexted ? { context: snap.context } : {}),
      updatedAt: input.now,
    };
    if (!renamed && Object.keys(changed).length === 0) {
      out.recontext?.push(device);
      continue;
    }
    if (renamed) out.rename.push({ device, from: existing.name });
    if (Object.keys(changed).length > 0) out.update.push({ device, changed });
  }
  for (const device of input.current.values()) {
    const deselected = !input.selected.has(device.externalId);
    const vanished = input.complete && !seen.has(device.externalId);
    if (deselected || vanished) out.remove.push(device);
  }
  return out;
}

function sameContext(a: DeviceContext | undefined, b: DeviceContext): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}

export function isEmpty(r: Reconciliation): boolean {
  return r.add.length + r.remove.length + r.rename.length + r.update.length + (r.recontext?.length ?? 0) === 0;
}

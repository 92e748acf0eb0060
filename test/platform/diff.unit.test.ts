import { describe, expect, it } from 'vitest';
import { deviceIdFor } from '../../src/platform/device-id';
import type { ChildDevice, DeviceSnapshot } from '../../src/connectors/device-types';
import { isEmpty, reconcile, type ReconcileInput } from '../../src/platform/reconcile-diff';

const NOW = '2026-01-01T00:00:00.000Z';
const snap = (externalId: string, name: string, temperature = 70): DeviceSnapshot => ({
  externalId,
  name,
  type: 'thermostat',
  attributes: { temperature, temperatureUnit: 'F' },
});
const child = (externalId: string, name: string, extra: Partial<ChildDevice> = {}): ChildDevice => ({
  id: deviceIdFor('inst', externalId),
  externalId,
  name,
  label: name,
  labelSet: false,
  type: 'thermostat',
  attributes: { temperature: 70, temperatureUnit: 'F' },
  updatedAt: 'earlier',
  ...extra,
});
const input = (over: Partial<ReconcileInput>): ReconcileInput => ({
  installationId: 'inst',
  current: new Map(),
  snapshot: [],
  complete: true,
  selected: new Set(),
  now: NOW,
  ...over,
});
const current = (...devices: ChildDevice[]) => new Map(devices.map((d) => [d.externalId, d]));

/** Applies a reconciliation to a map, as the store does. */
function apply(map: Map<string, ChildDevice>, r: ReturnType<typeof reconcile>): Map<string, ChildDevice> {
  const next = new Map(map);
  for (const d of r.remove) next.delete(d.externalId);
  for (const d of [...r.add, ...r.rename.map((x) => x.device), ...r.update.map((x) => x.device)]) next.set(d.externalId, d);
  return next;
}

describe('reconcile', () => {
  it('reconcile(selected, not yet a child) => add with state and a derived id', () => {
    const r = reconcile(input({ snapshot: [snap('a', 'A'), snap('b', 'B')], selected: new Set(['a']) }));
    expect(r.add).toEqual([child('a', 'A', { updatedAt: NOW })]);
    expect(r.remove).toEqual([]);
  });

  it('reconcile(child no longer selected) => remove, even from a partial view', () => {
    const r = reconcile(input({ current: current(child('a', 'A')), snapshot: [], complete: false, selected: new Set() }));
    expect(r.remove.map((d) => d.externalId)).toEqual(['a']);
  });

  it('reconcile(selected child missing from a complete listing) => remove', () => {
    const r = reconcile(input({ current: current(child('a', 'A')), snapshot: [], complete: true, selected: new Set(['a']) }));
    expect(r.remove.map((d) => d.externalId)).toEqual(['a']);
  });

  it('reconcile(selected child missing from a partial listing) => kept', () => {
    const r = reconcile(input({ current: current(child('a', 'A')), snapshot: [], complete: false, selected: new Set(['a']) }));
    expect(isEmpty(r)).toBe(true);
  });

  it('reconcile(cloud rename) => rename, id kept, label follows when the user never set one', () => {
    const r = reconcile(input({ current: current(child('a', 'A')), snapshot: [snap('a', 'A2')], selected: new Set(['a']) }));
    expect(r.rename).toEqual([{ device: { ...child('a', 'A2'), updatedAt: NOW }, from: 'A' }]);
    expect(r.rename[0]?.device.id).toBe(deviceIdFor('inst', 'a'));
  });

  it('reconcile(cloud rename, user label) => name changes, label does not', () => {
    const labelled = child('a', 'A', { label: 'Mine', labelSet: true });
    const r = reconcile(input({ current: current(labelled), snapshot: [snap('a', 'A2')], selected: new Set(['a']) }));
    expect(r.rename[0]?.device).toMatchObject({ name: 'A2', label: 'Mine', labelSet: true });
  });

  it('reconcile(changed attribute) => update with only the changed values', () => {
    const r = reconcile(input({ current: current(child('a', 'A')), snapshot: [snap('a', 'A', 72.5)], selected: new Set(['a']) }));
    expect(r.update).toHaveLength(1);
    expect(r.update[0]?.changed).toEqual({ temperature: 72.5 });
    expect(r.update[0]?.device.attributes).toEqual({ temperature: 72.5, temperatureUnit: 'F' });
  });

  it('reconcile(nothing changed) => empty', () => {
    expect(isEmpty(reconcile(input({ current: current(child('a', 'A')), snapshot: [snap('a', 'A')], selected: new Set(['a']) })))).toBe(true);
  });

  it('reconcile(cloud lists a device twice) => added once', () => {
    const r = reconcile(input({ snapshot: [snap('a', 'A'), snap('a', 'A')], selected: new Set(['a']) }));
    expect(r.add).toHaveLength(1);
  });

  it('reconcile is idempotent: applying its result and reconciling again => empty', () => {
    const cases: ReconcileInput[] = [
      input({ snapshot: [snap('a', 'A'), snap('b', 'B', 60)], selected: new Set(['a', 'b']) }),
      input({ current: current(child('a', 'A'), child('c', 'C')), snapshot: [snap('a', 'Z', 1), snap('b', 'B')], selected: new Set(['a', 'b']) }),
      input({ current: current(child('a', 'A')), snapshot: [], complete: true, selected: new Set(['a']) }),
    ];
    for (const c of cases) {
      const after = apply(new Map(c.current), reconcile(c));
      expect(isEmpty(reconcile({ ...c, current: after }))).toBe(true);
    }
  });
});

describe('deviceIdFor', () => {
  it('deviceIdFor => stable, per installation, URL-safe', () => {
    expect(deviceIdFor('i1', 'x')).toBe(deviceIdFor('i1', 'x'));
    expect(deviceIdFor('i1', 'x')).not.toBe(deviceIdFor('i2', 'x'));
    expect(deviceIdFor('i1', 'x')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

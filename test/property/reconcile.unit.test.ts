import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceIdFor } from '../../src/platform/device-id';
import type { Attributes, ChildDevice } from '../../src/connectors/device-types';
import { isEmpty, reconcile, type DeviceView, type ReconcileInput, type Reconciliation } from '../../src/platform/reconcile-diff';
import { RUNS } from './runs';

const INSTALLATION = 'inst-prop';
const NOW = '2026-01-01T00:00:00.000Z';
// A small id space, so snapshots, selections and current devices overlap often.
const externalId = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(
  fc.constantFrom('temperature', 'humidity', 'mode', 'on'),
  fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('heat', 'cool'), fc.boolean(), fc.constant(null)),
  { maxKeys: 4 },
);
const name = fc.constantFrom('Living', 'Upstairs', 'Basement', 'Kitchen');
const full = fc.record({ externalId, name, type: fc.constantFrom('thermostat', 'room'), attributes });
const partial: fc.Arbitrary<DeviceView> = fc.record({ externalId, attributes });
const child: fc.Arbitrary<ChildDevice> = fc
  .record({ externalId, name, label: name, labelSet: fc.boolean(), attributes })
  // A label not set by the user follows the name, as the store keeps it.
  .map((d) => ({ ...d, label: d.labelSet ? d.label : d.name, id: deviceIdFor(INSTALLATION, d.externalId), type: 'thermostat', updatedAt: 'earlier' }));

const inputs: fc.Arbitrary<ReconcileInput> = fc.record({
  installationId: fc.constant(INSTALLATION),
  current: fc.uniqueArray(child, { selector: (d) => d.externalId, maxLength: 6 }).map((ds) => new Map(ds.map((d) => [d.externalId, d]))),
  snapshot: fc.array(fc.oneof(full, full, partial), { maxLength: 10 }),
  complete: fc.boolean(),
  selected: fc.uniqueArray(externalId, { maxLength: 6 }).map((ids) => new Set(ids)),
  now: fc.constant(NOW),
});

/** Applies a reconciliation to a map, as DeviceStore.apply does to the Redis hash. */
function applied(current: ReadonlyMap<string, ChildDevice>, r: Reconciliation): Map<string, ChildDevice> {
  const next = new Map(current);
  for (const d of r.remove) next.delete(d.externalId);
  for (const d of [...r.add, ...r.rename.map((x) => x.device), ...r.update.map((x) => x.device)]) next.set(d.externalId, d);
  return next;
}

describe('reconcile — property', () => {
  it('reconcile(input) then reconcile(same snapshot against the result) => no operations (idempotent)', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const after = applied(input.current, reconcile(input));
        expect(isEmpty(reconcile({ ...input, current: after }))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('reconcile(input) => after applying, every device is selected; a complete listing leaves exactly selected ∩ listed (when each could be created)', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const after = applied(input.current, reconcile(input));
        for (const id of after.keys()) expect(input.selected.has(id)).toBe(true);
        if (input.complete) {
          for (const id of after.keys()) expect(input.snapshot.some((s) => s.externalId === id)).toBe(true);
          for (const s of input.snapshot) {
            const creatable = input.snapshot.find((x) => x.externalId === s.externalId);
            const known = input.current.has(s.externalId) || (creatable?.name !== undefined && creatable.type !== undefined);
            if (input.selected.has(s.externalId) && known) expect(after.has(s.externalId)).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('reconcile(partial listing) => never removes a selected device', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const r = reconcile({ ...input, complete: false });
        for (const d of r.remove) expect(input.selected.has(d.externalId)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('reconcile(input) => no device in two operation lists (rename+update aside), none added twice, none added that exists', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const r = reconcile(input);
        const added = r.add.map((d) => d.externalId);
        const removed = r.remove.map((d) => d.externalId);
        const changed = new Set([...r.rename.map((x) => x.device.externalId), ...r.update.map((x) => x.device.externalId)]);
        expect(new Set(added).size).toBe(added.length);
        expect(new Set(removed).size).toBe(removed.length);
        for (const id of added) {
          expect(input.current.has(id)).toBe(false);
          expect(removed).not.toContain(id);
          expect(changed.has(id)).toBe(false);
        }
        for (const id of removed) expect(changed.has(id)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('reconcile(input) => device ids are deviceIdFor(installation, externalId) and never change; a user-set label survives cloud renames', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const after = applied(input.current, reconcile(input));
        for (const [id, d] of after) {
          expect(d.id).toBe(deviceIdFor(INSTALLATION, id));
          const before = input.current.get(id);
          if (before?.labelSet) expect(d.label).toBe(before.label);
          if (before && !before.labelSet) expect(d.label).toBe(d.name);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('reconcile(input) => each update lists exactly the attributes that differ, and the device ends with the first listing of them', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const r = reconcile(input);
        for (const { device, changed } of r.update) {
          const before = input.current.get(device.externalId);
          const first = input.snapshot.find((s) => s.externalId === device.externalId);
          expect(before).toBeDefined();
          expect(first).toBeDefined();
          expect(Object.keys(changed).length).toBeGreaterThan(0);
          for (const [k, v] of Object.entries(changed)) {
            expect(before?.attributes[k]).not.toBe(v);
            expect(first?.attributes[k]).toBe(v);
          }
          expect(device.attributes).toEqual({ ...before?.attributes, ...first?.attributes });
        }
      }),
      { numRuns: RUNS },
    );
  });
});

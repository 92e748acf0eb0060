import { describe, expect, it } from 'vitest';
import { isEmpty, reconcile } from '../../src/platform/reconcile-diff';
import type { ChildDevice } from '../../src/connectors';

const base = { installationId: 'inst', selected: new Set(['t1']), complete: true, now: '2026-01-01T00:00:00.000Z' };
const snap = (context?: Record<string, string | number>) => ({ externalId: 't1', name: 'Hall', type: 'thermostat', attributes: { temperature: 20 }, ...(context ? { context } : {}) });

describe('reconcile: per-device context', () => {
  it('a new device keeps the context it was reported with', () => {
    const r = reconcile({ ...base, current: new Map(), snapshot: [snap({ locationId: 559589 })] });
    expect(r.add[0]?.context).toEqual({ locationId: 559589 });
  });

  it('context alone changed => written as recontext, no state change, no rename; same context => nothing', () => {
    const first = reconcile({ ...base, current: new Map(), snapshot: [snap({ locationId: 1 })] }).add[0] as ChildDevice;
    const moved = reconcile({ ...base, current: new Map([['t1', first]]), snapshot: [snap({ locationId: 2 })] });
    expect(moved.update).toEqual([]);
    expect(moved.rename).toEqual([]);
    expect(moved.recontext?.map((d) => d.context)).toEqual([{ locationId: 2 }]);
    expect(isEmpty(moved)).toBe(false);
    expect(isEmpty(reconcile({ ...base, current: new Map([['t1', first]]), snapshot: [snap({ locationId: 1 })] }))).toBe(true);
  });

  it('a partial view without a context (a push) leaves the stored one alone', () => {
    const first = reconcile({ ...base, current: new Map(), snapshot: [snap({ locationId: 1 })] }).add[0] as ChildDevice;
    const r = reconcile({ ...base, complete: false, current: new Map([['t1', first]]), snapshot: [{ externalId: 't1', attributes: { temperature: 21 } }] });
    expect(r.update[0]?.device.context).toEqual({ locationId: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { planBatch, settleLimited } from '../../src/ingest/batch';

describe('planBatch', () => {
  it('callbacks of several installations => one run per installation, in arrival order, done ones left out', () => {
    const batch = ['a', 'b', 'a', 'c', 'b', 'a'].map((installationId) => ({ installationId }));
    expect(planBatch(batch, new Set([2, 3]))).toEqual([
      { installationId: 'a', indices: [0, 5] },
      { installationId: 'b', indices: [1, 4] },
    ]);
  });

  it('every callback done => nothing to run', () => {
    expect(planBatch([{ installationId: 'a' }], new Set([0]))).toEqual([]);
  });
});

describe('settleLimited', () => {
  it('runs at most `limit` at a time and reports each outcome in order', async () => {
    let running = 0;
    let peak = 0;
    const results = await settleLimited([1, 2, 3, 4, 5], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      if (n === 3) throw new Error('three');
      return n * 2;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([2, 4, 'three', 8, 10]);
  });

  it('no items => no results', async () => {
    expect(await settleLimited([], 4, async () => 1)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { TickBatcher } from '../../src/ingest/tick-batcher';

describe('TickBatcher', () => {
  it('calls submitted in one turn => one batch, each caller gets its own result', async () => {
    const batches: number[][] = [];
    const b = new TickBatcher<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((x) => x * 10);
    });
    const results = await Promise.all([b.submit(1), b.submit(2), b.submit(3)]);
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('a caller is not settled before its batch has run', async () => {
    let release: (() => void) | undefined;
    const b = new TickBatcher<string, string>(async (items) => {
      await new Promise<void>((r) => (release = r));
      return items.map((x) => `${x}!`);
    });
    let settled = false;
    const p = b.submit('a').then((v) => {
      settled = true;
      return v;
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release?.();
    expect(await p).toBe('a!');
  });

  it('batch fails => every caller of that batch is rejected; the next batch runs normally', async () => {
    let fail = true;
    const b = new TickBatcher<number, number>(async (items) => {
      if (fail) throw new Error('redis down');
      return [...items];
    });
    const first = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await b.submit(3)).toBe(3);
  });

  it('batch returns the wrong number of results => all its callers rejected, none given a wrong value', async () => {
    const b = new TickBatcher<number, number>(async () => [1]);
    const r = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(r.every((x) => x.status === 'rejected')).toBe(true);
  });

  it('more than maxBatch in one turn => split into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const b = new TickBatcher<number, number>(async (items) => {
      sizes.push(items.length);
      return [...items];
    }, 4);
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('items weighing more than the limit in one turn => the batch closes once the limit is reached', async () => {
    const batches: string[][] = [];
    const b = new TickBatcher<string, string>(
      async (items) => {
        batches.push([...items]);
        return [...items];
      },
      100,
      { max: 10, weigh: (s) => s.length },
    );
    const out = await Promise.all(['aaaa', 'bbbb', 'cccc', 'dd', 'eeeeeeeeeeee', 'f'].map((x) => b.submit(x)));
    expect(out).toEqual(['aaaa', 'bbbb', 'cccc', 'dd', 'eeeeeeeeeeee', 'f']);
    expect(batches).toEqual([['aaaa', 'bbbb', 'cccc'], ['dd', 'eeeeeeeeeeee'], ['f']]);
  });

  it('run throws synchronously => callers rejected, no unhandled error', async () => {
    const b = new TickBatcher<number, number>(() => {
      throw new Error('sync');
    });
    await expect(b.submit(1)).rejects.toThrow('sync');
  });

  it('maxInFlight 1: calls made while a batch runs gather into the next, sent when it settles', async () => {
    const batches: number[][] = [];
    const releases: Array<() => void> = [];
    const b = new TickBatcher<number, number>(
      async (items) => {
        batches.push([...items]);
        await new Promise<void>((r) => releases.push(r));
        return [...items];
      },
      256,
      undefined,
      1,
    );
    const first = b.submit(1);
    await new Promise((r) => setImmediate(r));
    // Three more turns while the first batch is in flight: held back, not sent one per turn.
    const later = [b.submit(2)];
    await new Promise((r) => setImmediate(r));
    later.push(b.submit(3));
    await new Promise((r) => setImmediate(r));
    later.push(b.submit(4));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    releases.shift()?.();
    expect(await first).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    releases.shift()?.();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
  });

  it('maxInFlight 1: a failed batch still lets the gathered calls go out', async () => {
    const batches: number[][] = [];
    let rejectFirst: ((err: Error) => void) | undefined;
    const b = new TickBatcher<number, number>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await new Promise<void>((_, reject) => (rejectFirst = reject));
        return [...items];
      },
      256,
      undefined,
      1,
    );
    const first = b.submit(1);
    await new Promise((r) => setImmediate(r));
    const second = b.submit(2);
    await new Promise((r) => setImmediate(r));
    rejectFirst?.(new Error('redis down'));
    await expect(first).rejects.toThrow('redis down');
    expect(await second).toBe(2);
    expect(batches).toEqual([[1], [2]]);
  });

  it('maxInFlight 1: a full batch goes out at once, even with one in flight', async () => {
    const batches: number[][] = [];
    const b = new TickBatcher<number, number>(
      async (items) => {
        batches.push([...items]);
        await new Promise((r) => setTimeout(r, 5));
        return [...items];
      },
      2,
      undefined,
      1,
    );
    const all = [b.submit(1)];
    await new Promise((r) => setImmediate(r));
    all.push(b.submit(2), b.submit(3));
    expect(batches).toEqual([[1], [2, 3]]);
    expect(await Promise.all(all)).toEqual([1, 2, 3]);
  });
});

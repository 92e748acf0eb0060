import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/runtime/redis/keys';
import { createPartitions, DEFAULT_PARTITION_COUNT, partitionOf } from '../../src/runtime/redis/partitions';

describe('partitionOf', () => {
  it('is pinned: where data already lives must not move with a new version', () => {
    // FNV-1a 32 of the UTF-8 bytes, modulo K. Changing these numbers strands every deployment's data.
    expect(['i-1', 'a', '', '0b9f3a8e-2f1c-4d1e-9a55-6c1f0d2b7e11', 'été'].map((id) => partitionOf(id, 16))).toEqual([14, 12, 5, 11, 7]);
    expect(partitionOf('i-1', 1)).toBe(0);
  });

  it('spreads ids over every partition, none with more than twice its share', () => {
    const counts = new Array<number>(DEFAULT_PARTITION_COUNT).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf(`00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, DEFAULT_PARTITION_COUNT)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(500);
    expect(Math.max(...counts)).toBeLessThan(2_000);
  });
});

describe('createPartitions', () => {
  it('names the hash tag and the key space of a partition; the key space starts with the prefix', () => {
    const parts = createPartitions('sm', 16);
    expect(parts.tag(3)).toBe('{sm:p3}');
    expect(parts.space(3)).toBe('sm:{sm:p3}');
    expect(parts.spaceOf('i-1')).toBe('sm:{sm:p14}');
    expect(parts.all()).toEqual(Array.from({ length: 16 }, (_, k) => k));
    expect(createKeys('sm', 4).partitions.count).toBe(4);
  });

  it('refuses a count that is not an integer 1-1024', () => {
    for (const bad of [0, -1, 1.5, 1025, Number.NaN]) expect(() => createPartitions('sm', bad)).toThrow(RangeError);
  });
});

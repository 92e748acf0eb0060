import { describe, expect, it } from 'vitest';
import { slotGroupOf } from '../../src/runtime/redis/turn-batch';

describe('slotGroupOf: which queued writes may share a pipeline on a Cluster', () => {
  it("keys with the same hash tag group together (an installation's lock and its leases), whatever follows the tag", () => {
    expect(slotGroupOf('sm:{sm:p3}:inst:a:sync-lock')).toBe('sm:p3');
    expect(slotGroupOf('sm:{sm:p3}:inst:a:cloud-leases')).toBe('sm:p3');
    expect(slotGroupOf('sm:{sm:p4}:inst:b:sync-lock')).not.toBe(slotGroupOf('sm:{sm:p3}:inst:a:sync-lock'));
  });

  it("a key without a usable tag is its own group (Redis hashes the whole key): '{}' and an unclosed '{' are not tags", () => {
    expect(slotGroupOf('sm:app:ecobee:rate-pause')).toBe('sm:app:ecobee:rate-pause');
    expect(slotGroupOf('sm:{}:x')).toBe('sm:{}:x');
    expect(slotGroupOf('sm:{open')).toBe('sm:{open');
    // Only the first tag counts, as in Redis.
    expect(slotGroupOf('a{b}{c}')).toBe('b');
  });
});

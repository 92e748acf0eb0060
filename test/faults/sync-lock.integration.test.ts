import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryAcquire } from '../../src/runtime/redis/lock';
import { SYNC_LOCK_RENEW_MS, SYNC_LOCK_TTL_MS, withSyncLock } from '../../src/sync/with-sync-lock';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually } from '../helpers/link';
import { keyNames } from '../helpers/key-names';

/**
 * The per-installation sync lock is short and renewed while held. Before, it was a fixed 120 s
 * TTL: a worker SIGKILLed (or cut off from Redis) while applying a webhook or a poll stranded it,
 * and every poll and callback of that installation waited up to two minutes (seen in the
 * Redis-restart fault test: the last acknowledged webhook applied ~100 s after Redis was back).
 */

let host: HostCore;
beforeAll(async () => {
  host = await startHostCore({ fakes: {} });
});
afterAll(async () => {
  await host.close();
});

describe('sync lock', () => {
  it('withSyncLock(a long task) => renewed while held, never handed to another caller', async () => {
    const id = randomUUID();
    const key = keyNames(host.services.keys).syncLock(id);
    let finish: () => void = () => undefined;
    const held = withSyncLock(host.services, id, () => new Promise<void>((resolve) => (finish = resolve)));
    const first = await eventually(async () => {
      const ttl = await host.inspect.pttl(key);
      return ttl > 0 ? ttl : undefined;
    }, 'the lock to be taken');
    expect(first).toBeLessThanOrEqual(SYNC_LOCK_TTL_MS);
    // Renewed: the remaining time goes back up instead of running out.
    let last = first;
    await eventually(async () => {
      const ttl = await host.inspect.pttl(key);
      const renewed = ttl > last + 1_000;
      last = ttl;
      return renewed;
    }, 'a renewal', SYNC_LOCK_RENEW_MS * 3);
    await expect(withSyncLock(host.services, id, async () => 'stolen', { waitMs: 50 })).rejects.toMatchObject({ code: 'service_unavailable' });
    finish();
    await held;
    expect(await host.inspect.exists(key)).toBe(0);
  }, 30_000);

  it('withSyncLock(after a holder died without releasing) => the next caller gets the lock within SYNC_LOCK_TTL_MS', async () => {
    const id = randomUUID();
    // What a SIGKILLed holder leaves behind: the lock as taken, and no one to renew or release it.
    expect(await tryAcquire(host.services.redis, keyNames(host.services.keys).syncLock(id), SYNC_LOCK_TTL_MS)).toBeDefined();
    const started = Date.now();
    expect(await withSyncLock(host.services, id, async () => 'ran', { waitMs: SYNC_LOCK_TTL_MS + 10_000 })).toBe('ran');
    expect(Date.now() - started).toBeLessThanOrEqual(SYNC_LOCK_TTL_MS + 5_000);
  }, SYNC_LOCK_TTL_MS + 20_000);

  it('tryAcquire with reads => replies of the reads when taken, in the same pipeline; nothing when the lock is held', async () => {
    const id = randomUUID();
    const key = keyNames(host.services.keys).syncLock(id);
    const probe = `${host.config.keyPrefix}:probe:${id}`;
    await host.inspect.set(probe, 'seen');
    const first = await tryAcquire(host.services.redis, key, SYNC_LOCK_TTL_MS, (p) => {
      p.get(probe);
      p.pttl(key); // runs after the SET: the lock is already there
    });
    expect(first?.replies.map(([err, reply]) => [err, typeof reply === 'number' ? reply > 0 : reply])).toEqual([
      [null, 'seen'],
      [null, true],
    ]);
    expect(await tryAcquire(host.services.redis, key, SYNC_LOCK_TTL_MS, (p) => p.get(probe))).toBeUndefined();
    await first?.release();
    expect(await host.inspect.exists(key)).toBe(0);
    await host.inspect.del(probe);
  });
});

import type { ChainableCommander } from 'ioredis';
import { AppError, type Fence, LockFence, type PipelineReplies, tryAcquire } from '../runtime';
import { syncLockKeys } from './sync-lock-keys';
import type { Base } from '../runtime';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'keys' | 'redis'>;

/**
 * Short and renewed while held: a holder that died (SIGKILL, or Redis lost before it could
 * release) blocks the installation for at most this long, while a live holder keeps the lock for
 * as long as its poll takes. With a fixed TTL long enough for the slowest poll (it was 120 s), a
 * killed worker stalled every poll and webhook of that installation for two minutes.
 */
export const SYNC_LOCK_TTL_MS = 15_000;
export const SYNC_LOCK_RENEW_MS = 5_000;

/**
 * Runs `task` as the only writer of one installation's devices across every process: polls,
 * selection changes, explicit deletes and uninstall all take this lock, so they never interleave.
 * `reads` are queued behind the acquire (one round trip) and their replies handed to `task`.
 *
 * `task` also gets the lock's `Fence`: the device store commits only while the lock is still ours,
 * and a renewal that finds it gone marks the fence lost, so the task's next write (fenced or behind
 * `fence.assertHeld()`) throws `lock_lost` (retryable) instead of overwriting the new holder's work.
 */
export async function withSyncLock<T>(
  services: Deps,
  installationId: string,
  task: (replies: PipelineReplies, fence: Fence) => Promise<T>,
  options: {
    waitMs?: number;
    reads?: (pipeline: ChainableCommander) => void;
    /** The replies of `reads` on an attempt that did not get the lock (see tryAcquire). */
    refused?: (replies: PipelineReplies) => void;
  } = {},
): Promise<T> {
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    const lock = await tryAcquire(services.redis, syncLockKeys(services.keys).syncLock(installationId), SYNC_LOCK_TTL_MS, options.reads, options.refused);
    if (lock) {
      const fence = new LockFence(lock.key, lock.owner);
      const renew = setInterval(() => {
        lock.extend(SYNC_LOCK_TTL_MS).then(
          (held) => {
            if (!held) fence.markLost();
          },
          // No answer says nothing about the lock: the fenced write itself will tell.
          () => undefined,
        );
      }, SYNC_LOCK_RENEW_MS);
      try {
        return await task(lock.replies, fence);
      } finally {
        clearInterval(renew);
        await lock.release();
      }
    }
    if (Date.now() > deadline) {
      throw new AppError('service_unavailable', { message: 'The installation is busy syncing; try again shortly.' });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

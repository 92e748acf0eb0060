import { tryAcquire } from '../cloud/lock';
import { AppError } from '../errors';
import type { Services } from '../services';

/** Longer than any poll (a few cloud calls with their timeouts), so it only expires if the holder died. */
export const SYNC_LOCK_TTL_MS = 120_000;

/**
 * Runs `task` as the only writer of one installation's devices across every process: polls,
 * selection changes, explicit deletes and uninstall all take this lock, so they never interleave.
 */
export async function withSyncLock<T>(
  services: Services,
  installationId: string,
  task: () => Promise<T>,
  waitMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = await tryAcquire(services.redis, services.keys.syncLock(installationId), SYNC_LOCK_TTL_MS);
    if (lock) {
      try {
        return await task();
      } finally {
        await lock.release();
      }
    }
    if (Date.now() > deadline) {
      throw new AppError('service_unavailable', { message: 'The installation is busy syncing; try again shortly.' });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

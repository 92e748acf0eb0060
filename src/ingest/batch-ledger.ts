import type { Redis } from 'ioredis';
import type { Keys } from '../runtime';
import { batchKeys, type BatchKeys } from './batch-keys';
import { claim, release } from './dedup';
import { FailedWebhooks, type FailedWebhook } from './failed-store';

/**
 * How long a batch remembers which callbacks it applied. While it runs: long enough for every
 * retry with backoff and for a dead worker fleet to come back. Once it has finished: long enough
 * for stalled-job recovery (lock + stalled interval, 60 s by default) to retry a job whose worker
 * died between applying the last callback and BullMQ recording the job as completed.
 */
const DONE_TTL_RUNNING_MS = 24 * 3600 * 1000;
const DONE_TTL_FINISHED_MS = 5 * 60 * 1000;

/**
 * The records of one webhook batch job: which of its callbacks are done (applied, or kept as
 * unparseable, in the same MULTI as the failed-set entry), and the dedup claims its callbacks take.
 * The worker's only way to these keys.
 */
export class BatchLedger {
  private readonly doneKey: string;

  private readonly keys: BatchKeys;

  constructor(
    private readonly redis: Redis,
    private readonly keySpace: Keys,
    /** Unique per job: job ids come from a counter a wiped queue restarts, so the creation time is part of it. */
    jobKey: string,
  ) {
    this.keys = batchKeys(keySpace);
    this.doneKey = this.keys.webhookBatchDone(jobKey);
  }

  /** Callbacks a previous run of this job already finished. */
  async done(): Promise<Set<number>> {
    return new Set((await this.redis.smembers(this.doneKey)).map(Number));
  }

  async markApplied(index: number): Promise<void> {
    const results = await this.redis.multi().sadd(this.doneKey, String(index)).pexpire(this.doneKey, DONE_TTL_RUNNING_MS).exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (failed) throw failed;
  }

  /**
   * Keeps an unparseable payload in the installation's failed set, then marks it done. Two writes:
   * the failed set lives in the installation's partition and this ledger under the job's key (a
   * batch spans installations), never one slot on a Cluster. A crash between them leaves the
   * payload recorded and not done, so the retry records it once more: a duplicate in a list kept
   * for inspection, never a payload lost.
   */
  async recordUnparseable(installationId: string, index: number, entry: FailedWebhook): Promise<void> {
    await new FailedWebhooks(this.redis, this.keySpace).record(installationId, entry);
    await this.markApplied(index);
  }

  /** The job is over: keep the ledger only as long as stalled-job recovery may still re-run it. */
  async finish(): Promise<void> {
    await this.redis.pexpire(this.doneKey, DONE_TTL_FINISHED_MS);
  }

  /** See dedup.ts: true when `dedupKey` is new within the window, or already claimed by `owner`. */
  claim(installationId: string, dedupKey: string, now: number, windowMs: number, owner: string): Promise<boolean> {
    return claim(this.redis, this.keys.webhookDedup(installationId), dedupKey, now, windowMs, owner);
  }

  release(installationId: string, dedupKey: string, owner: string): Promise<void> {
    return release(this.redis, this.keys.webhookDedup(installationId), dedupKey, owner);
  }
}

/** Uninstall: the installation's dedup window (batch ledgers expire by themselves). */
export async function forgetDedup(redis: Redis, keySpace: Keys, installationId: string): Promise<void> {
  await redis.del(batchKeys(keySpace).webhookDedup(installationId));
}

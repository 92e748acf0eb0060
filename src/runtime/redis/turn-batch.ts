import type { ChainableCommander, Redis } from 'ioredis';

interface Queued {
  queue: (pipeline: ChainableCommander) => void;
  resolve: (reply: unknown) => void;
  reject: (err: unknown) => void;
}

const pending = new WeakMap<Redis, Queued[]>();

/**
 * Sends one command together with every other one queued on the same client in the same
 * event-loop turn, as one pipeline: writes nobody waits on before going on (a lock's release, a
 * cloud lease given back) cost one round trip per turn instead of one each. Many polls end in the
 * same turn under load, and a poll's lease and lock releases end in the same turn as each other.
 * `queue` must add exactly one command; the promise settles with its reply (or error).
 */
export function inTurn(redis: Redis, queue: (pipeline: ChainableCommander) => void): Promise<unknown> {
  let batch = pending.get(redis);
  if (!batch) {
    batch = [];
    pending.set(redis, batch);
    setImmediate(() => flush(redis));
  }
  const queued = batch;
  return new Promise((resolve, reject) => queued.push({ queue, resolve, reject }));
}

function flush(redis: Redis): void {
  const batch = pending.get(redis) ?? [];
  pending.delete(redis);
  // On a Cluster the commands of one turn name keys in many slots, which one pipeline may not
  // mix: each goes alone (ioredis still writes those of one turn to a node together).
  if (redis.isCluster) {
    for (const q of batch) {
      const single = redis.pipeline();
      q.queue(single);
      single.exec().then(
        (replies) => {
          const [err, reply] = replies?.[0] ?? [new Error('no reply from Redis'), null];
          if (err) q.reject(err);
          else q.resolve(reply);
        },
        (err: unknown) => q.reject(err),
      );
    }
    return;
  }
  const pipeline = redis.pipeline();
  for (const q of batch) q.queue(pipeline);
  pipeline.exec().then(
    (replies) =>
      batch.forEach((q, i) => {
        const [err, reply] = replies?.[i] ?? [new Error('no reply from Redis'), null];
        if (err) q.reject(err);
        else q.resolve(reply);
      }),
    (err: unknown) => batch.forEach((q) => q.reject(err)),
  );
}

import type { ChainableCommander, Redis } from 'ioredis';

interface Queued {
  /** The key the command names: on a Cluster, commands go together only with those of its slot. */
  key: string;
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
export function inTurn(redis: Redis, key: string, queue: (pipeline: ChainableCommander) => void): Promise<unknown> {
  let batch = pending.get(redis);
  if (!batch) {
    batch = [];
    pending.set(redis, batch);
    setImmediate(() => flush(redis));
  }
  const queued = batch;
  return new Promise((resolve, reject) => queued.push({ key, queue, resolve, reject }));
}

/**
 * What decides a key's Cluster slot: the hash tag's content when the key has a non-empty one, else
 * the whole key. Keys with the same result are in the same slot (an installation's lock and its
 * cloud leases share its partition's tag), without computing the slot.
 */
export function slotGroupOf(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

function send(redis: Redis, batch: readonly Queued[]): void {
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

function flush(redis: Redis): void {
  const batch = pending.get(redis) ?? [];
  pending.delete(redis);
  if (!redis.isCluster) return send(redis, batch);
  // On a Cluster one pipeline may not mix slots: one pipeline per slot (ioredis still writes those
  // bound for one node together).
  const bySlot = new Map<string, Queued[]>();
  for (const q of batch) {
    const group = slotGroupOf(q.key);
    const list = bySlot.get(group);
    if (list) list.push(q);
    else bySlot.set(group, [q]);
  }
  for (const group of bySlot.values()) send(redis, group);
}

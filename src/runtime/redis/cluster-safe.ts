import type { Redis } from 'ioredis';

/**
 * Multi-record reads, writes and scans that a Cluster cannot take as one command: on a single
 * server (or Sentinel) they are one command or one pipeline, as before; on a Cluster, where the
 * records sit in as many slots (and nodes) as there are records, one command each, sent together,
 * and a SCAN that visits every primary.
 */

/** The values of `keys`, in order: one MGET, or one GET per key on a Cluster. */
export async function getMany(redis: Redis, keys: readonly string[]): Promise<Array<string | null>> {
  if (keys.length === 0) return [];
  if (!redis.isCluster) return redis.mget(...keys);
  return Promise.all(keys.map((key) => redis.get(key)));
}

/** One-key scripts, each on its own key: [error, reply] per call, in order (a pipeline, or parallel calls on a Cluster). */
export async function evalEach(redis: Redis, script: string, calls: ReadonlyArray<{ key: string; args: readonly (string | number)[] }>): Promise<Array<[Error | null, unknown]>> {
  if (calls.length === 0) return [];
  if (redis.isCluster) {
    return Promise.all(
      calls.map((c) => redis.eval(script, 1, c.key, ...c.args).then((reply): [null, unknown] => [null, reply], (err: unknown): [Error, null] => [err as Error, null])),
    );
  }
  const pipeline = redis.pipeline();
  for (const c of calls) pipeline.eval(script, 1, c.key, ...c.args);
  return (await pipeline.exec()) ?? [];
}

/**
 * One SCAN batch. On a Cluster the cursor is `<primary>:<its cursor>`, walking the primaries in
 * address order one after the other (`0` starts at the first and means done, as SCAN's own). A
 * failover during a walk may repeat or miss keys of the node that changed, as a SCAN may anyway
 * for keys written meanwhile: callers treat batches as idempotent.
 */
export async function scanKeys(redis: Redis, cursor: string, pattern: string, count: number): Promise<[string, string[]]> {
  if (!redis.isCluster) return redis.scan(cursor, 'MATCH', pattern, 'COUNT', count);
  const primaries = (redis as unknown as { nodes(role: 'master'): Redis[] })
    .nodes('master')
    .map((node) => ({ node, at: `${node.options.host ?? ''}:${node.options.port ?? 0}` }))
    .sort((a, b) => a.at.localeCompare(b.at));
  const [indexText, nodeCursor] = cursor === '0' ? ['0', '0'] : cursor.split(':');
  const index = Number(indexText);
  const current = primaries[index];
  if (!current || nodeCursor === undefined) return ['0', []];
  const [next, keys] = await current.node.scan(nodeCursor, 'MATCH', pattern, 'COUNT', count);
  if (next !== '0') return [`${index}:${next}`, keys];
  return [index + 1 < primaries.length ? `${index + 1}:0` : '0', keys];
}

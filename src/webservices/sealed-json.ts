import type { Redis } from 'ioredis';
import { evalEach, getMany, type SealedRecord } from '../runtime';

/**
 * Rekey support for the stores whose JSON records hold a `sealedSecret` (subscriptions, event
 * sinks): read a batch of records as the rekey sees them, and swap a secret only while the record is
 * still the one read (a record changed or deleted meanwhile keeps what the service wrote).
 */
export const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0
`;

/** The records of `ids` that parse and hold a sealed secret; `boundTo` is the associated data each is sealed with. */
export async function readSealed(
  redis: Redis,
  ids: readonly string[],
  keyOf: (id: string) => string,
  sealedOf: (record: unknown) => string | undefined,
  boundTo: (id: string) => string,
): Promise<SealedRecord[]> {
  if (ids.length === 0) return [];
  const raws = await getMany(redis, ids.map(keyOf));
  const records: SealedRecord[] = [];
  ids.forEach((id, i) => {
    const raw = raws[i];
    if (typeof raw !== 'string') return;
    const sealed = sealedOf(JSON.parse(raw));
    if (sealed !== undefined) records.push({ id: boundTo(id), sealed, version: raw });
  });
  return records;
}

/** Per update, true when written; false when the record changed (or went) since it was read. */
export async function replaceSealedJson(
  redis: Redis,
  updates: readonly { record: SealedRecord; sealed: string }[],
  keyOf: (record: SealedRecord) => string,
): Promise<boolean[]> {
  const replies = await evalEach(
    redis,
    COMPARE_AND_SET,
    updates.map(({ record, sealed }) => ({
      key: keyOf(record),
      args: [record.version, JSON.stringify({ ...(JSON.parse(record.version) as Record<string, unknown>), sealedSecret: sealed })],
    })),
  );
  return replies.map(([err, ok]) => {
    if (err) throw err;
    return ok === 1;
  });
}

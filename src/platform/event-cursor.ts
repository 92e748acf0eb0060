/**
 * The cursor of the merged partition event streams: the stream id reached in each partition,
 * joined by `.` (`0-0` for a partition not read from yet). Opaque to clients; a plain stream id
 * (what `GET /api/events` issued before partitions) stands for that position in every partition,
 * which on one server's clock is where that reader was.
 */
import { AppError } from '../runtime';

/** Before the first entry of a stream (used with an exclusive `(` bound). */
export const START = '0-0';

const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

export function encodeEventCursor(positions: readonly string[]): string {
  return positions.join('.');
}

/** The position per partition, or undefined when `value` is not a cursor for `count` partitions. */
export function decodeEventCursor(value: string, count: number): string[] | undefined {
  const parts = value.split('.');
  if (!parts.every((p) => STREAM_ID.test(p))) return undefined;
  if (parts.length === 1) return new Array<string>(count).fill(parts[0] ?? START);
  return parts.length === count ? parts : undefined;
}

/** Stream ids in stream order (`ms-seq`, both parts numeric). */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am < bm ? -1 : am > bm ? 1 : as < bs ? -1 : as > bs ? 1 : 0;
}

/** A cursor this log did not issue (or one for another number of partitions): the request's fault. */
export class InvalidEventCursorError extends AppError {
  constructor() {
    super('bad_request', { message: 'after: must be a cursor returned by this API' });
  }
}

/** Whether a reader at `cursor` has read everything up to `target` in every partition (both for `count` partitions). */
export function eventCursorCovers(cursor: string, target: string, count: number): boolean {
  const at = decodeEventCursor(cursor, count);
  const goal = decodeEventCursor(target, count);
  if (!at || !goal) return false;
  return goal.every((id, k) => compareStreamIds(at[k] ?? START, id) >= 0);
}

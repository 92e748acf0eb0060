import type { Redis } from 'ioredis';
import type { Keys } from '../runtime';
import { compareStreamIds, decodeEventCursor, encodeEventCursor, InvalidEventCursorError, START } from './event-cursor';
import { eventKeys, type EventKeys } from './event-keys';

export const EVENT_TYPES = [
  'device.added',
  'device.removed',
  'device.renamed',
  'device.stateChanged',
  'installation.linked',
  'installation.degraded',
  'installation.recovered',
  'installation.reauthRequired',
  'installation.uninstalled',
  'installation.callbackRotated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface PlatformEvent {
  /**
   * The event's identity: its id in its partition's stream and the partition (`<ms>-<seq>.<k>`:
   * two partitions' streams may issue the same id), the same whichever read returned it.
   */
  id: string;
  /** Where to read on from just after this event: pass it back as `after`. */
  cursor: string;
  type: EventType;
  installationId: string;
  deviceId: string | undefined;
  at: string;
  data: Record<string, unknown>;
}

export interface NewEvent {
  type: EventType;
  installationId: string;
  deviceId?: string;
  data?: Record<string, unknown>;
}

/**
 * One installation's events found by one bounded read of its partition's stream, and where that
 * read stopped. A page may hold fewer events than asked for (even none) while more follow: the
 * read examines at most `scanLimit` entries of the partition, most of them other installations'.
 */
export interface InstallationEventPage {
  events: PlatformEvent[];
  /**
   * readInstallation: the position to pass back as `after` (the last entry examined, which may be
   * another installation's), or `after` itself when nothing follows it: the reader has caught up.
   * recent: the position to pass back as `before` for older events, or undefined once the start of
   * the stream was reached.
   */
  next: string | undefined;
}

/** What appendTo needs of a MULTI (ioredis's, or a fenced WriteBatch). */
export interface StreamAppender {
  xadd(key: string, ...args: (string | number)[]): unknown;
}

/**
 * EVENT_RETENTION: events of every installation together, shared evenly by the partition streams
 * (approximate trimming keeps XADD O(1)). One installation's history is what its partition still
 * holds: it has no bound of its own, so memory does not grow with the fleet.
 */
export const DEFAULT_EVENT_RETENTION = 100_000;
/**
 * Most entries of a partition stream one per-installation read examines: an installation among
 * thousands in its partition costs a request a bounded scan, then hands back where it stopped.
 */
export const INSTALLATION_SCAN_LIMIT = 5_000;
/** The largest XRANGE of a per-installation read: chunks start at the page's size and double up to this. */
const SCAN_CHUNK_MAX = 1_000;
/** How long waitForGlobal waits on a Cluster before the fan-out reads the partitions again. */
const CLUSTER_WAIT_MS = 250;

export interface EventLogOptions {
  /** EVENT_RETENTION (default 100,000): approximately how many events the partition streams keep together. */
  retention?: number;
  /** Most partition entries a per-installation read examines (default INSTALLATION_SCAN_LIMIT). */
  scanLimit?: number;
}

function fields(event: NewEvent, at: string): string[] {
  return [
    'type', event.type,
    'installationId', event.installationId,
    'deviceId', event.deviceId ?? '',
    'at', at,
    'data', JSON.stringify(event.data ?? {}),
  ];
}

/** The installationId field of a stream entry, without decoding the rest. */
function installationOf(flat: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === 'installationId') return flat[i + 1];
  return undefined;
}

/**
 * Events go to the Redis stream of the installation's partition, which holds every event of its
 * installations and keeps removal and uninstall events after the installation's keys are gone. It
 * shares the installation's Cluster hash slot, so one MULTI (or fenced script) writes an event with
 * the change it describes.
 *
 * One installation's events are its partition's entries filtered by installationId: a read scans
 * the partition stream in chunks, at most `scanLimit` entries per call, and hands back where it
 * stopped. (Layout 2 also kept a stream per installation: ~4.8 KB each even for 3 events, since
 * Redis preallocates a stream's first 4 KiB node, and bounded only by 10,000 entries apiece.)
 *
 * Reading every installation's events merges the partition streams under a composite cursor: the
 * position reached in each partition (event-cursor.ts). A page takes the oldest entries after
 * those positions and advances only the partitions it took from, so no event is skipped or
 * repeated, and one installation's events (one stream) keep their order.
 */
export class EventLog {
  private readonly keys: EventKeys;
  private readonly perPartitionMaxLen: number;
  private readonly scanLimit: number;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly now: () => number = Date.now,
    options: EventLogOptions = {},
  ) {
    this.keys = eventKeys(keySpace);
    this.perPartitionMaxLen = Math.ceil((options.retention ?? DEFAULT_EVENT_RETENTION) / this.keys.partitionCount);
    this.scanLimit = Math.max(1, options.scanLimit ?? INSTALLATION_SCAN_LIMIT);
  }

  /** Appends in order within one MULTI. */
  async append(events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const multi = this.redis.multi();
    this.appendTo(multi, events);
    const results = await multi.exec();
    for (const [err] of results ?? []) if (err) throw err;
  }

  /** Queues the XADDs on a caller's MULTI or batch, so events commit together with the change they describe. */
  appendTo(multi: StreamAppender, events: readonly NewEvent[]): void {
    const at = new Date(this.now()).toISOString();
    for (const event of events) {
      multi.xadd(this.keys.partitionEventsOf(event.installationId), 'MAXLEN', '~', this.perPartitionMaxLen, '*', ...fields(event, at));
    }
  }

  /**
   * This installation's events strictly after `after` (a cursor), oldest first: at most `limit`,
   * from at most `scanLimit` entries of its partition's stream. Pass `next` back as `after`; a page
   * with fewer than `limit` events (even none) is not the end: `next` equal to `after` is.
   *
   * A cursor is a position in the partition stream. One issued before layout 3 is an id in the
   * installation's own stream, and is taken as the same position in the partition's, which is close
   * enough: ids are millisecond timestamps and both streams were written in one MULTI, the
   * partition's XADD right after the installation's, so an event's id in the partition is never
   * below its id in the installation's stream (the same millisecond, or later, and a sequence at
   * least as high: the partition holds a superset). Read from there, nothing after the old cursor
   * is skipped; a few events written just before it (in practice, of its millisecond) come again.
   */
  async readInstallation(installationId: string, after: string | undefined, limit = 100): Promise<InstallationEventPage> {
    const { events, last } = await this.scan(installationId, 'forward', after, limit);
    return { events, next: last ?? after };
  }

  /**
   * This installation's newest `limit` events (before `before`, a position, when given), newest
   * first: the operator's "recent events". From at most `scanLimit` entries of its partition's
   * stream, so an installation quiet among busy ones may show fewer (see `next`).
   */
  async recent(installationId: string, limit = 20, before?: string): Promise<InstallationEventPage> {
    const { events, last, ended } = await this.scan(installationId, 'backward', before, limit);
    return { events, next: ended ? undefined : last };
  }

  /**
   * Scans the installation's partition stream from just past `from` (its start or end when
   * undefined) in chunks, keeping the installation's entries, until `limit` of them, the end of the
   * stream, or `scanLimit` entries examined. `last`: the last entry examined; `ended`: the end was reached.
   */
  private async scan(
    installationId: string,
    direction: 'forward' | 'backward',
    from: string | undefined,
    limit: number,
  ): Promise<{ events: PlatformEvent[]; last: string | undefined; ended: boolean }> {
    const key = this.keys.partitionEventsOf(installationId);
    const k = this.keys.partitionOf(installationId);
    const events: PlatformEvent[] = [];
    let bound = from === undefined ? (direction === 'forward' ? '-' : '+') : `(${from}`;
    let last: string | undefined;
    let examined = 0;
    // Sized to the page first (an installation alone in its partition needs no more), then doubling.
    let chunk = Math.min(Math.max(limit, 1), SCAN_CHUNK_MAX);
    for (;;) {
      const count = Math.min(chunk, this.scanLimit - examined);
      const entries =
        direction === 'forward'
          ? await this.redis.xrange(key, bound, '+', 'COUNT', count)
          : await this.redis.xrevrange(key, bound, '-', 'COUNT', count);
      for (const [id, flat] of entries) {
        examined += 1;
        last = id;
        if (installationOf(flat) !== installationId) continue;
        events.push({ ...toEvent(id, flat), id: `${id}.${k}` });
        if (events.length >= limit) return { events, last, ended: false };
      }
      if (entries.length < count) return { events, last, ended: true };
      if (examined >= this.scanLimit || last === undefined) return { events, last, ended: false };
      bound = `(${last}`;
      chunk = Math.min(chunk * 2, SCAN_CHUNK_MAX);
    }
  }

  /** Whether `value` is a cursor readGlobal accepts: one this log issued, or a stream id of layout 1. */
  isGlobalCursor(value: string): boolean {
    return decodeEventCursor(value, this.keys.partitionCount) !== undefined;
  }

  /**
   * Every installation's events after `after` (a composite cursor from this log; a single stream id
   * of layout 1 counts as that position in every partition), oldest first. Each event's `cursor`
   * is the composite cursor just after it.
   */
  async readGlobal(after: string | undefined, limit = 100): Promise<PlatformEvent[]> {
    const count = this.keys.partitionCount;
    const positions = after === undefined ? new Array<string>(count).fill(START) : decodeEventCursor(after, count);
    if (!positions) throw new InvalidEventCursorError();
    // Any one partition may hold the next `limit` events: read that many from each.
    const pages = await Promise.all(
      positions.map((position, k) => this.redis.xrange(this.keys.partitionEvents(k), `(${position}`, '+', 'COUNT', limit)),
    );
    const merged = pages
      .flatMap((entries, k) => entries.map(([id, flat]) => ({ k, id, flat })))
      .sort((a, b) => compareStreamIds(a.id, b.id) || a.k - b.k)
      .slice(0, limit);
    const reached = [...positions];
    return merged.map(({ k, id, flat }) => {
      reached[k] = id;
      return { ...toEvent(id, flat), id: `${id}.${k}`, cursor: encodeEventCursor(reached) };
    });
  }

  /**
   * Uninstall: the installation's own stream of layout 2, if one is left (a process of the older
   * version wrote it after the migration to layout 3 ran). Its events stay in its partition's.
   */
  async forgetInstallation(installationId: string): Promise<void> {
    await this.redis.del(this.keys.legacyInstallationEvents(installationId));
  }

  /** The composite cursor after the newest event of every partition, if any event was ever written. */
  async lastGlobalCursor(): Promise<string | undefined> {
    const lasts = await Promise.all(
      Array.from({ length: this.keys.partitionCount }, (_, k) => this.redis.xrevrange(this.keys.partitionEvents(k), '+', '-', 'COUNT', 1)),
    );
    if (lasts.every((entries) => entries.length === 0)) return undefined;
    return encodeEventCursor(lasts.map((entries) => entries[0]?.[0] ?? START));
  }

  /**
   * Blocks on `blocker` (a connection of its own) until an event after `cursor` (composite, or `$`
   * for "from now") arrives in any partition, or `blockMs` passes.
   */
  async waitForGlobal(blocker: Redis, cursor: string, blockMs: number): Promise<void> {
    const count = this.keys.partitionCount;
    if (blocker.isCluster) {
      // One XREAD cannot span the partitions' slots on a Cluster, and one blocking XREAD per
      // partition would hold as many connections: wait a short while instead, and let the caller
      // read every partition again (an idle fan-out costs one XRANGE per partition per wait).
      await new Promise((resolve) => setTimeout(resolve, Math.min(blockMs, CLUSTER_WAIT_MS)));
      return;
    }
    const positions = cursor === '$' ? new Array<string>(count).fill('$') : (decodeEventCursor(cursor, count) ?? new Array<string>(count).fill('$'));
    const streams = Array.from({ length: count }, (_, k) => this.keys.partitionEvents(k));
    await blocker.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', ...streams, ...positions);
  }
}

function toEvent(cursor: string, flat: string[]): PlatformEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] ?? '', flat[i + 1] ?? '');
  return {
    id: cursor,
    cursor,
    type: map.get('type') as EventType,
    installationId: map.get('installationId') ?? '',
    deviceId: map.get('deviceId') || undefined,
    at: map.get('at') ?? '',
    data: JSON.parse(map.get('data') ?? '{}') as Record<string, unknown>,
  };
}

/** Stream ids are `ms-seq`; anything else is not a cursor we issued. */
export function isCursor(value: string): boolean {
  return /^\d{1,16}-\d{1,16}$/.test(value);
}

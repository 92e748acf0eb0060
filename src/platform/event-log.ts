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
   * The event's identity: its stream id in the installation's stream, or, read from every
   * installation's events, its id in its partition's stream and the partition (`<ms>-<seq>.<k>`:
   * two partitions' streams may issue the same id).
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

/** What appendTo needs of a MULTI (ioredis's, or a fenced WriteBatch). */
export interface StreamAppender {
  xadd(key: string, ...args: (string | number)[]): unknown;
}

/**
 * Bounded retention of every installation's events together (approximate trimming keeps XADD
 * O(1)), shared evenly by the partition streams.
 */
export const GLOBAL_MAXLEN = 100_000;
export const INSTALLATION_MAXLEN = 10_000;
/** How long waitForGlobal waits on a Cluster before the fan-out reads the partitions again. */
const CLUSTER_WAIT_MS = 250;

function fields(event: NewEvent, at: string): string[] {
  return [
    'type', event.type,
    'installationId', event.installationId,
    'deviceId', event.deviceId ?? '',
    'at', at,
    'data', JSON.stringify(event.data ?? {}),
  ];
}

/**
 * Events go to two Redis streams in the installation's partition: the installation's own (deleted
 * with it) and the partition's, which holds every event of its installations and keeps removal and
 * uninstall events after the installation's keys are gone. Both share a Cluster hash slot, so one
 * MULTI (or fenced script) writes them with the change they describe.
 *
 * Reading every installation's events merges the partition streams under a composite cursor: the
 * position reached in each partition (event-cursor.ts). A page takes the oldest entries after
 * those positions and advances only the partitions it took from, so no event is skipped or
 * repeated, and one installation's events (one stream) keep their order.
 */
export class EventLog {
  private readonly keys: EventKeys;
  private readonly perPartitionMaxLen: number;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = eventKeys(keySpace);
    this.perPartitionMaxLen = Math.ceil(GLOBAL_MAXLEN / this.keys.partitionCount);
  }

  /** Appends in order within one MULTI, so both streams see the same sequence. */
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
      const f = fields(event, at);
      multi.xadd(this.keys.installationEvents(event.installationId), 'MAXLEN', '~', INSTALLATION_MAXLEN, '*', ...f);
      multi.xadd(this.keys.partitionEventsOf(event.installationId), 'MAXLEN', '~', this.perPartitionMaxLen, '*', ...f);
    }
  }

  /** This installation's events strictly after `after` (a cursor), oldest first. */
  async readInstallation(installationId: string, after: string | undefined, limit = 100): Promise<PlatformEvent[]> {
    const start = after === undefined ? '-' : `(${after}`;
    const entries = await this.redis.xrange(this.keys.installationEvents(installationId), start, '+', 'COUNT', limit);
    return entries.map(([cursor, flat]) => toEvent(cursor, flat));
  }

  /** This installation's newest `limit` events, newest first (the operator's "recent events"). */
  async recent(installationId: string, limit = 20): Promise<PlatformEvent[]> {
    const entries = await this.redis.xrevrange(this.keys.installationEvents(installationId), '+', '-', 'COUNT', limit);
    return entries.map(([cursor, flat]) => toEvent(cursor, flat));
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

  /** Uninstall: the installation's own stream (its events stay in its partition's). */
  async forgetInstallation(installationId: string): Promise<void> {
    await this.redis.del(this.keys.installationEvents(installationId));
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

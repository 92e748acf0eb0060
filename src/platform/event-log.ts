import type { Redis } from 'ioredis';
import type { Keys } from '../runtime';
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
  /** The stream entry id; pass it back as `after` to read on from here. */
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

/** Bounded retention of the platform-wide stream (approximate trimming keeps XADD O(1)). */
export const GLOBAL_MAXLEN = 100_000;
export const INSTALLATION_MAXLEN = 10_000;

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
 * Events go to two Redis streams: the installation's own (deleted with it) and the platform-wide
 * one, which keeps removal and uninstall events after the installation's keys are gone.
 */
export class EventLog {
  private readonly keys: EventKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = eventKeys(keySpace);
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
      multi.xadd(this.keys.globalEvents(), 'MAXLEN', '~', GLOBAL_MAXLEN, '*', ...f);
    }
  }

  /** This installation's events strictly after `after` (a cursor), oldest first. */
  async readInstallation(installationId: string, after: string | undefined, limit = 100): Promise<PlatformEvent[]> {
    return this.read(this.keys.installationEvents(installationId), after, limit);
  }

  /** This installation's newest `limit` events, newest first (the operator's "recent events"). */
  async recent(installationId: string, limit = 20): Promise<PlatformEvent[]> {
    const entries = await this.redis.xrevrange(this.keys.installationEvents(installationId), '+', '-', 'COUNT', limit);
    return entries.map(([cursor, flat]) => toEvent(cursor, flat));
  }

  async readGlobal(after: string | undefined, limit = 100): Promise<PlatformEvent[]> {
    return this.read(this.keys.globalEvents(), after, limit);
  }

  private async read(key: string, after: string | undefined, limit: number): Promise<PlatformEvent[]> {
    const start = after === undefined ? '-' : `(${after}`;
    const entries = await this.redis.xrange(key, start, '+', 'COUNT', limit);
    return entries.map(([cursor, flat]) => toEvent(cursor, flat));
  }

  /** Uninstall: the installation's own stream (its events stay in the platform-wide one). */
  async forgetInstallation(installationId: string): Promise<void> {
    await this.redis.del(this.keys.installationEvents(installationId));
  }

  /** The newest platform-wide cursor, if any event was ever written. */
  async lastGlobalCursor(): Promise<string | undefined> {
    const [last] = await this.redis.xrevrange(this.keys.globalEvents(), '+', '-', 'COUNT', 1);
    return last?.[0];
  }

  /** Blocks on `blocker` (a connection of its own) until an event after `cursor` arrives or `blockMs` passes. */
  async waitForGlobal(blocker: Redis, cursor: string, blockMs: number): Promise<void> {
    await blocker.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', this.keys.globalEvents(), cursor);
  }
}

function toEvent(cursor: string, flat: string[]): PlatformEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] ?? '', flat[i + 1] ?? '');
  return {
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

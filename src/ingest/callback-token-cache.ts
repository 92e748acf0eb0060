import type { Redis, RedisOptions } from 'ioredis';
import type { Keys, Logger } from '../runtime';
import { callbackTokenKeys } from './callback-token-keys';
import { TokenRecordCache, type CachedLookup } from './token-record-cache';

/** How soon a failed subscribe is tried again (the connection's own reconnects cover the rest). */
const RESUBSCRIBE_MS = 1_000;

/**
 * The callback-token cache of one process, kept exact across every host by a Redis pub/sub
 * channel: whoever changes an installation's callback tokens (rotation, uninstall) publishes its
 * id, and every host drops its entry when the message arrives. The entry's ttl is only a backstop
 * for a message lost on a connection that looks alive; revocation does not wait for it.
 *
 * Fails closed: while the subscription is not confirmed (not yet started, reconnecting, closed),
 * nothing is served from the cache or put in it, and losing the connection clears it, since the
 * messages sent meanwhile are lost. Callbacks then cost a lookup each, as without a cache.
 *
 * A lookup that was in flight when a message arrived is not cached (its reply may predate the
 * change): `ticket()` before the lookup, `set(..., ticket)` after.
 */
export class CallbackTokenCache {
  private readonly records: TokenRecordCache;
  private subscriber: Redis | undefined;
  private subscribed = false;
  private closed = false;
  private generation = 0;
  private retry: NodeJS.Timeout | undefined;

  /** The subscriber's CLIENT SETNAME, so an operator (or a test) can find it in CLIENT LIST. */
  readonly connectionName: string;

  /** Where hosts announce a changed token (every host of the deployment subscribes). */
  readonly channel: string;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly log: Logger,
    /** Opens the subscriber connection (the process's connection factory; by default a copy of `redis`). */
    private readonly openSubscriber: (options: RedisOptions) => Redis = (options) => redis.duplicate(options),
    // Real time, not services.now: tests freeze that clock, and a frozen cache would never expire.
    clock: () => number = () => performance.now(),
  ) {
    this.channel = callbackTokenKeys(keySpace.prefix).callbackTokensChanged();
    this.records = new TokenRecordCache(clock);
    this.connectionName = `${this.channel.replace(/[^A-Za-z0-9_.:-]/g, '_')}:${process.pid}`;
  }

  /** True while invalidations are being received, i.e. while the cache may be used. */
  get listening(): boolean {
    return this.subscribed && !this.closed;
  }

  get(installationId: string): CachedLookup | undefined {
    this.listen();
    return this.listening ? this.records.get(installationId) : undefined;
  }

  /** Taken before a lookup; `set` keeps the result only if no invalidation arrived since. */
  ticket(): number {
    this.listen();
    return this.generation;
  }

  set(installationId: string, value: CachedLookup, ticket: number): void {
    if (this.listening && ticket === this.generation) this.records.set(installationId, value);
  }

  /** This process only; other hosts learn of a change through `announce`. */
  delete(installationId: string): void {
    this.records.delete(installationId);
  }

  /** Whether an entry is cached for the installation (for tests and diagnostics). */
  holds(installationId: string): boolean {
    return this.listening && this.records.get(installationId) !== undefined;
  }

  /**
   * Call after an installation's callback tokens changed in Redis: forgets them here at once and
   * tells every host. Throws when the message cannot be published; the caller's change is made,
   * and a retry of the caller publishes again.
   */
  async announce(installationId: string): Promise<void> {
    this.drop(installationId);
    await this.redis.publish(this.channel, installationId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribed = false;
    clearTimeout(this.retry);
    this.records.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /**
   * Subscribes (once; also on first use). Hosts start it with their webhook endpoint; a worker-only
   * process, which takes no callbacks, opens no connection.
   */
  listen(): void {
    if (this.subscriber || this.closed) return;
    const subscriber = this.openSubscriber({
      connectionName: this.connectionName,
      // Subscribed again by hand on every `ready`, so `subscribed` means confirmed, not "asked for".
      autoResubscribe: false,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, installationId: string) => {
      if (channel === this.channel) this.drop(installationId);
    });
    subscriber.on('ready', () => this.subscribe(subscriber));
    // Any way the connection goes, messages may be missed from here on.
    for (const event of ['close', 'reconnecting', 'end'] as const) subscriber.on(event, () => this.unsubscribed());
    subscriber.on('error', (err: Error) => this.log.debug({ reason: err.message }, 'callback-token invalidation connection error'));
    subscriber.connect().catch(() => undefined);
  }

  private subscribe(subscriber: Redis): void {
    subscriber.subscribe(this.channel).then(
      () => {
        if (this.closed || subscriber !== this.subscriber) return;
        this.generation++;
        this.subscribed = true;
      },
      (err: unknown) => {
        this.log.warn({ reason: (err as Error).message }, 'callback-token invalidation: subscribe failed; cache off until it succeeds');
        if (this.closed) return;
        clearTimeout(this.retry);
        this.retry = setTimeout(() => {
          if (!this.closed && subscriber.status === 'ready') this.subscribe(subscriber);
        }, RESUBSCRIBE_MS);
        this.retry.unref();
      },
    );
  }

  private unsubscribed(): void {
    this.subscribed = false;
    this.generation++;
    this.records.clear();
  }

  private drop(installationId: string): void {
    this.generation++;
    this.records.delete(installationId);
  }
}

import type { Base, PartitionedQueue } from '../runtime';
import { leaseUntil, nextDue, sleepMs } from './poll-schedule-math';
import type { ClaimedEntry, PollScheduleStore } from './poll-schedule-store';
import { SCHEDULED_POLL_OPTIONS, scheduledJobId, type PollJobData } from './poll-queue';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'log' | 'metrics' | 'now'>;

export interface DispatcherOptions {
  /** Entries claimed per partition and round; a full batch makes the next round start at once. */
  batch?: number;
  /** How long a claimed entry stays away from other dispatchers before it is due again (a crash between claim and queueing). */
  leaseMs?: number;
  /** The longest sleep between rounds: schedules written meanwhile by other processes are seen within it. */
  maxSleepMs?: number;
  /** The shortest sleep between rounds, unless a round left a full batch (poll-schedule-math.ts sleepMs). */
  minSleepMs?: number;
}

export interface DispatchRound {
  dispatched: number;
  /** The earliest due time (or lease expiry) over the partitions that answered. */
  earliest: number | undefined;
  /** Partitions whose claim or rescheduling failed (Redis errors): retried next round. */
  failed: number;
  /** Some partition had more due entries than one batch: the next round starts at once. */
  full: boolean;
}

const ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Turns due schedule entries into poll jobs, in every process that runs poll workers. A round
 * claims each partition's due entries (one script per partition, moving them to a short lease),
 * queues one poll job per entry in its partition's queue (one addBulk per partition, side by
 * side), then sets each entry still under that lease to its next due time. A process that dies after the claim leaves the lease to expire and another
 * dispatcher claims the entries again: at least once, never lost. Dispatchers in several
 * processes at once are safe: a claim is atomic, and the job id is the installation's, so while
 * one scheduled poll of it is pending (queued, running or retrying) a second is not added (a
 * re-dispatch after a crash, or workers falling behind, do not pile polls up).
 */
export class PollDispatcher {
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private lastErrorLogAt = -Infinity;
  private errorsSinceLog = 0;
  private readonly batch: number;
  private readonly leaseMs: number;
  private readonly maxSleepMs: number;
  private readonly minSleepMs: number;

  constructor(
    private readonly services: Deps,
    private readonly store: PollScheduleStore,
    /** Partition k's entries are queued in partition k's queue: one addBulk (one slot) per partition. */
    private readonly queue: PartitionedQueue<PollJobData>,
    /** The interval of each connector this process runs: it dispatches those only. */
    private readonly intervals: ReadonlyMap<string, number>,
    options: DispatcherOptions = {},
  ) {
    this.batch = options.batch ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxSleepMs = options.maxSleepMs ?? 1_000;
    this.minSleepMs = Math.min(options.minSleepMs ?? 100, this.maxSleepMs);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.loop();
  }

  /** Stops after the round in flight (its claimed entries are queued and rescheduled first). */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  /**
   * One round at `now` (the loop passes the clock; tests pass a time to play a crash or a lease
   * that expired). Redis errors are counted per partition and logged, never thrown: the next
   * round retries, and claimed entries not rescheduled come back when their lease ends.
   */
  async tick(now: number = this.services.now()): Promise<DispatchRound> {
    const connectors = [...this.intervals.keys()];
    const round: DispatchRound = { dispatched: 0, earliest: undefined, failed: 0, full: false };
    if (connectors.length === 0) return round;
    const lease = leaseUntil(now, this.leaseMs);
    const partitions = this.store.partitions;
    let claims;
    try {
      claims = await this.store.claim(partitions, connectors, now, lease, this.batch);
    } catch (err) {
      this.failed(err, 'claim');
      return { ...round, failed: partitions.length };
    }
    const due: Array<{ k: number; entries: Array<ClaimedEntry & { next: number }> }> = [];
    claims.forEach((claim, i) => {
      const k = partitions[i] ?? 0;
      if (claim instanceof Error) {
        round.failed++;
        this.failed(claim, 'claim');
        return;
      }
      if (claim.claimed.length >= this.batch) round.full = true;
      if (claim.earliest !== undefined) round.earliest = Math.min(round.earliest ?? Infinity, claim.earliest);
      const entries = claim.claimed.map((e) => ({ ...e, next: nextDue(now, this.intervals.get(e.connector) ?? this.maxSleepMs, e.installationId) }));
      if (entries.length) due.push({ k, entries });
    });
    if (due.length === 0) return round;
    // A partition whose addBulk failed is not rescheduled: its entries come back to a dispatcher
    // when their lease ends. The others' jobs are queued, and rescheduled as usual.
    const added = await Promise.all(
      due.map((d) =>
        this.queue
          .at(d.k)
          .addBulk(d.entries.map((e) => ({ name: 'poll', data: { i: e.installationId, c: e.connector }, opts: { ...SCHEDULED_POLL_OPTIONS, jobId: scheduledJobId(e.installationId) } })))
          .then(
            () => undefined,
            (err: unknown) => err,
          ),
      ),
    );
    const queued = due.filter((_, i) => added[i] === undefined);
    for (const err of added) {
      if (err === undefined) continue;
      this.failed(err, 'queue');
      round.failed++;
      round.earliest = Math.min(round.earliest ?? Infinity, lease);
    }
    const all = queued.flatMap((d) => d.entries);
    if (all.length === 0) return round;
    round.dispatched = all.length;
    for (const e of all) this.services.metrics.pollsDispatched.inc({ connector: e.connector });
    const rescheduled = await this.store.reschedule(queued, connectors, lease).catch((err: unknown) => queued.map(() => err as Error));
    for (const result of rescheduled) {
      if (!(result instanceof Error)) continue;
      // Queued already; the lease ending makes it due again once (its job id keeps it from doubling while queued).
      this.failed(result, 'reschedule');
      round.failed++;
    }
    const earliestNext = Math.min(...all.map((e) => e.next));
    round.earliest = Math.min(round.earliest ?? Infinity, earliestNext);
    return round;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // tick() reports Redis errors in its result; anything else it throws is logged the same way,
      // so the loop (and the process) carries on.
      const round = await this.tick().catch((err: unknown): DispatchRound => {
        this.failed(err, 'claim');
        return { dispatched: 0, earliest: undefined, failed: 1, full: false };
      });
      if (this.stopped) return;
      const wait = round.failed > 0 ? this.maxSleepMs : round.full ? 0 : sleepMs(round.earliest, this.services.now(), this.minSleepMs, this.maxSleepMs);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait);
      });
    }
  }

  /** Rate-limited: while Redis is down every round fails, and one line per interval says so. */
  private failed(err: unknown, step: 'claim' | 'queue' | 'reschedule'): void {
    this.errorsSinceLog++;
    const now = Date.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.services.log.warn({ step, reason: (err as Error).message, errors: this.errorsSinceLog }, 'poll dispatch failed; retried next round');
    this.lastErrorLogAt = now;
    this.errorsSinceLog = 0;
  }
}

/**
 * Gathers the calls made during one turn of the event loop and runs them as one batch (one Redis
 * write and one reply instead of one per request). Flushed on setImmediate rather than a timer, so
 * no request waits for a clock: under load a batch holds every request whose bytes arrived in the
 * same I/O phase; when idle a batch is a single call. A caller's promise settles only after its
 * batch has run, so "resolved" keeps meaning "done".
 *
 * With `maxInFlight`, a turn's batch also waits while that many batches are still running, and
 * goes out as soon as one of them settles (group commit): under load batches grow to what arrives
 * during one round trip instead of one turn, with no clock involved, and a full batch (count or
 * weight) goes out at once regardless.
 */
export class TickBatcher<I, O> {
  private pending: Array<{ item: I; resolve: (value: O) => void; reject: (err: unknown) => void }> = [];
  private pendingWeight = 0;
  private scheduled = false;
  private inFlight = 0;

  constructor(
    /** Runs one batch; returns one result per item, in order. A throw fails the whole batch. */
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 256,
    /** Also closes a batch once its items weigh this much (e.g. bytes, so one job stays small). */
    private readonly byWeight?: { max: number; weigh: (item: I) => number },
    private readonly maxInFlight = Infinity,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.byWeight) this.pendingWeight += this.byWeight.weigh(item);
      if (this.pending.length >= this.maxBatch || (this.byWeight && this.pendingWeight >= this.byWeight.max)) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          if (this.inFlight < this.maxInFlight) this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingWeight = 0;
    let running: Promise<readonly O[]>;
    try {
      running = this.run(batch.map((b) => b.item));
    } catch (err) {
      running = Promise.reject(err);
    }
    this.inFlight++;
    const settled = () => {
      this.inFlight--;
      // What gathered meanwhile goes out now (unless a turn's flush is already on its way).
      if (!this.scheduled && this.inFlight < this.maxInFlight) this.flush();
    };
    running.finally(settled).catch(() => undefined);
    running.then(
      (results) => {
        if (results.length !== batch.length) {
          const err = new Error(`batch returned ${results.length} results for ${batch.length} items`);
          for (const b of batch) b.reject(err);
          return;
        }
        batch.forEach((b, i) => b.resolve(results[i] as O));
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err);
      },
    );
  }
}

import type { Logger } from '../runtime';

/**
 * Installations whose callbacks were refused with 503 while Redis was down. Some clouds never
 * redeliver (Netatmo), so once ingestion works again each gets a catch-up poll. Kept in memory
 * because Redis is exactly what was unavailable; bounded so a flood of bogus ids cannot grow it.
 */
export class MissedDeliveries {
  private readonly ids = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly pollNow: (installationId: string) => Promise<void>,
    private readonly log: Logger,
    private readonly limit = 10_000,
  ) {}

  add(installationId: string): void {
    if (this.ids.size < this.limit) this.ids.add(installationId);
    if (!this.timer) {
      this.timer = setInterval(() => void this.flush(), 1_000);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.ids.size;
  }

  /** Queues a catch-up poll for each; whatever fails stays for the next try. */
  async flush(): Promise<void> {
    if (this.flushing || this.ids.size === 0) return;
    this.flushing = true;
    try {
      for (const id of [...this.ids]) {
        try {
          await this.pollNow(id);
          this.ids.delete(id);
        } catch {
          return; // still down; try again later
        }
      }
      this.log.info('catch-up polls queued for callbacks refused during an outage');
    } finally {
      this.flushing = false;
      if (this.ids.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** What a test can make a fake cloud do instead of answering a route normally. */
export type FakeFault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'reset' };

interface QueuedFault {
  fault: FakeFault;
  remaining: number;
}

/** Faults queued per route, served in the order they were added, each `times` times. */
export class FaultQueue<R extends string> {
  private readonly queues = new Map<R, QueuedFault[]>();

  add(route: R, fault: FakeFault, times = 1): void {
    if (times < 1) return;
    const queue = this.queues.get(route) ?? [];
    queue.push({ fault, remaining: times });
    this.queues.set(route, queue);
  }

  take(route: R): FakeFault | undefined {
    const queue = this.queues.get(route);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    if (--next.remaining <= 0) queue.shift();
    return next.fault;
  }
}

import type { FakeFault } from './fault-queue';
import type { FakeCall, FakeHttpServer } from './http-server';

/**
 * The public face every fake cloud shares, for tests and the demo: where it listens, what it was
 * asked, how to stop it and how to break it. A fake extends it and assigns `http` in its constructor.
 */
export abstract class FakeCloudBase<R extends string> {
  protected abstract readonly http: FakeHttpServer<R>;

  /** e.g. http://127.0.0.1:54321, no trailing slash. */
  get url(): string {
    return this.http.url;
  }

  /** Every request in arrival order; token and code values are never recorded. */
  get calls(): FakeCall[] {
    return this.http.calls;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** Queued faults on a route are served in the order they were added. */
  failNext(route: R, fault: FakeFault, times = 1): void {
    this.http.failNext(route, fault, times);
  }

  setLatency(ms: number): void {
    this.http.setLatency(ms);
  }

  /** The most API requests held at once since the last resetInFlight(): concurrency caps show here. */
  get maxInFlight(): number {
    return this.http.maxInFlight;
  }

  resetInFlight(): void {
    this.http.resetInFlight();
  }
}

import type { FakeFault } from './fault-queue';
import type { FakeCall, FakeHttpServer } from './http-server';

export function dumpCalls(calls: readonly FakeCall[]): string {
  if (calls.length === 0) return '  (no requests)';
  const start = calls[0]?.at ?? 0;
  return calls
    .map((c, i) => {
      const parts = [`${String(i + 1).padStart(3)}. +${c.at - start}ms ${c.method} ${c.path}`];
      if (c.query) parts.push(`?${c.query.join('&')}`);
      if (c.grantType) parts.push(`grant_type=${c.grantType}`);
      if (c.authorization) parts.push(`auth:${c.authorization}`);
      parts.push(c.fault ? `=> fault ${c.fault}${c.status ? ` ${c.status}` : ''}` : c.status ? `=> ${c.status}` : '=> (no answer)');
      return parts.join(' ');
    })
    .join('\n');
}

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

  /** The next `times` requests on the route answer this 5xx in the cloud's error shape. */
  failWithStatus(route: R, status = 500, times = 1): void {
    this.http.failNext(route, { kind: 'status', status }, times);
  }

  /** The next request on the route is never answered (stop() ends it): for timeouts. */
  hangNext(route: R, times = 1): void {
    this.http.failNext(route, { kind: 'hang' }, times);
  }

  /** The next requests on the route get the cloud's 429, with Retry-After when given. */
  rateLimitNext(route: R, retryAfterS?: number, times = 1): void {
    this.http.rateLimitNext(route, retryAfterS, times);
  }

  /**
   * The request log as text, one line per request: time since the first, method, path, query
   * parameter names, grant type, whether a token was sent, the status or fault. Printed by a
   * failing conformance check; never holds a token or code value.
   */
  dump(): string {
    return dumpCalls(this.calls);
  }

  /** The most API requests held at once since the last resetInFlight(): concurrency caps show here. */
  get maxInFlight(): number {
    return this.http.maxInFlight;
  }

  resetInFlight(): void {
    this.http.resetInFlight();
  }
}

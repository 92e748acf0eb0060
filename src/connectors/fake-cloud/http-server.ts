import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultQueue, type FakeFault } from './fault-queue';
import { writeReply, type Reply } from './reply';
import { formParams, readBody } from './request-body';

/** One request as the fake's calls log keeps it; token and code values are never recorded. */
export interface FakeCall {
  method: string;
  path: string;
  grantType?: string;
  at: number;
  authorization?: 'present' | 'absent';
  /** Names of the query parameters (never their values). */
  query?: string[];
  /** The status answered; absent while unanswered (or hung, or reset). */
  status?: number;
  /** The fault injected instead of the route's answer, if any. */
  fault?: FakeFault['kind'];
}

export interface FakeRequest<R extends string> {
  method: string;
  url: URL;
  route: R;
  headers: IncomingHttpHeaders;
  body: string;
  /** The form body's fields (empty unless the body is application/x-www-form-urlencoded). */
  form: URLSearchParams;
  /** Runs `task` once the reply is written: for what a real cloud does after answering (e.g. push a webhook). */
  afterReply(task: () => void): void;
}

/** What makes one fake cloud different from another; the rest is FakeHttpServer's. */
export interface FakeCloudSpec<R extends string> {
  /** The route a request is for, or undefined for a 404. */
  route(method: string, path: string): R | undefined;
  handle(request: FakeRequest<R>): Reply | Promise<Reply>;
  notFound(method: string, path: string): Reply;
  /** The body of a `status` fault that names none, in the cloud's error shape. */
  faultBody(route: R): unknown;
  /** What a `malformed` fault sends: a cut-off document labelled as JSON. */
  malformedJson: string;
  /** The body of a 429 from rateLimitNext(), in the cloud's shape; default faultBody(route). */
  rateLimitBody?(route: R): unknown;
  /** The body of a 500 when a handler throws, in the cloud's error shape. */
  internalErrorBody(message: string): unknown;
  /** The cloud's own content-type for JSON. */
  jsonType: string;
  /** Routes setLatency() does not slow down: the pages a person's browser loads. */
  unthrottled?: readonly R[];
  /** The OAuth grant_type a request carries, recorded in the calls log (faulted requests included). */
  grantType?(request: FakeRequest<R>): string | undefined;
  /** Called when a routed request arrives, before its body is read; `res` closes when it is over. */
  onArrival?(route: R, res: ServerResponse): void;
  /** The calls log the server appends to, in arrival order. */
  calls: FakeCall[];
  now(): number;
}

/**
 * The HTTP plumbing every fake cloud shares: a real server on a free port, routing, body reading,
 * the calls log and the fault hooks (failNext, setLatency, hang). A fake supplies its routes,
 * state and error shapes as a FakeCloudSpec.
 */
export class FakeHttpServer<R extends string> {
  private readonly server: Server;
  private readonly faults = new FaultQueue<R>();
  /** Aborted by stop(): wakes requests sleeping in setLatency() so they never answer late. */
  private readonly stopping = new AbortController();
  private latencyMs = 0;
  private active = 0;
  private peak = 0;
  private baseUrl = '';
  private stopped: Promise<void> | undefined;

  constructor(private readonly spec: FakeCloudSpec<R>) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.internalError(res, error));
    });
  }

  /** e.g. http://127.0.0.1:54321, no trailing slash; empty until listen() resolves. */
  get url(): string {
    return this.baseUrl;
  }

  /** The most API requests (routes other than the sign-in pages) this fake held at once. */
  get maxInFlight(): number {
    return this.peak;
  }

  resetInFlight(): void {
    this.peak = this.active;
  }

  /** Every request in arrival order. */
  get calls(): FakeCall[] {
    return this.spec.calls;
  }

  /** Aborted when the server stops: for work the fake does beside answering (deliveries, waits). */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  listen(host = '127.0.0.1', port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const { port: bound } = this.server.address() as AddressInfo;
        this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.stopping.abort();
      this.server.close(() => resolve());
      // Hung and keep-alive connections would keep close() waiting forever.
      this.server.closeAllConnections();
    });
    return this.stopped;
  }

  /** Queued faults on a route are served in the order they were added. */
  failNext(route: R, fault: FakeFault, times = 1): void {
    this.faults.add(route, fault, times);
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** The cloud's quota answer: 429 in its shape, with Retry-After when given. */
  rateLimitNext(route: R, retryAfterS: number | undefined, times = 1): void {
    const body = this.spec.rateLimitBody ? this.spec.rateLimitBody(route) : this.spec.faultBody(route);
    const headers = retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) };
    this.faults.add(route, { kind: 'status', status: 429, body, ...(headers ? { headers } : {}) }, times);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake-cloud.invalid');
    const route = this.spec.route(method, url.pathname);
    const call: FakeCall = {
      method,
      path: url.pathname,
      at: this.spec.now(),
      authorization: req.headers.authorization ? 'present' : 'absent',
    };
    const names = [...new Set(url.searchParams.keys())];
    if (names.length) call.query = names;
    res.on('finish', () => {
      call.status = res.statusCode;
    });
    this.spec.calls.push(call);
    if (route !== undefined) this.spec.onArrival?.(route, res);

    const body = await readBody(req);
    if (route === undefined) return this.send(res, this.spec.notFound(method, url.pathname));

    const afterReply: (() => void)[] = [];
    const request: FakeRequest<R> = {
      method,
      url,
      route,
      headers: req.headers,
      body,
      form: formParams(req.headers, body),
      afterReply: (task) => afterReply.push(task),
    };
    const grantType = this.spec.grantType?.(request);
    if (grantType) call.grantType = grantType;
    const counted = !this.spec.unthrottled?.includes(route);
    if (counted) this.peak = Math.max(this.peak, ++this.active);
    try {
      await this.answer(request, req, res, afterReply, call);
    } finally {
      if (counted) this.active--;
    }
  }

  private async answer(request: FakeRequest<R>, req: IncomingMessage, res: ServerResponse, afterReply: (() => void)[], call: FakeCall): Promise<void> {
    const route = request.route;

    if (this.latencyMs > 0 && !this.spec.unthrottled?.includes(route)) {
      const slept = await sleep(this.latencyMs, true, { signal: this.stopping.signal }).catch(() => false);
      if (!slept) return; // stopping: the socket is being destroyed anyway
    }
    const fault = this.faults.take(route);
    if (fault) {
      call.fault = fault.kind;
      return this.injectFault(fault, route, req, res);
    }

    this.send(res, await this.spec.handle(request));
    for (const task of afterReply) task();
  }

  private injectFault(fault: FakeFault, route: R, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'status':
        return this.send(res, {
          kind: 'json',
          status: fault.status,
          body: 'body' in fault ? fault.body : this.spec.faultBody(route),
          ...(fault.headers ? { headers: fault.headers } : {}),
        });
      case 'hang':
        return; // never answered; stop() destroys the socket
      case 'malformed':
        // Labelled as JSON but cut off: the nastiest kind of "not JSON".
        res.writeHead(200, { 'content-type': this.spec.jsonType });
        res.end(this.spec.malformedJson);
        return;
      case 'reset':
        req.socket.destroy();
        return;
    }
  }

  private send(res: ServerResponse, reply: Reply): void {
    writeReply(res, reply, this.spec.jsonType);
  }

  private internalError(res: ServerResponse, error: unknown): void {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.send(res, { kind: 'json', status: 500, body: this.spec.internalErrorBody(message) });
  }
}

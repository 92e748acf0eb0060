import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AppError } from './errors';
import { renderAppError } from './http/render-error';
import type { Logger } from './logging/logger';

/**
 * In front of the HTTP app while the process drains: /readyz answers 503 at once (so a load
 * balancer stops sending), every other new request a fast 503 + Retry-After (a cloud retries its
 * callback, nothing starts that the drain would have to wait for), and each answer closes its
 * connection. Requests already running finish normally; `idle()` says when none is left. The
 * listener itself stays open until the end of the drain so that probes keep getting an answer
 * instead of a refused connection.
 */
export class DrainGate {
  private drainingSince: number | undefined;
  private active = 0;
  private waiters: Array<() => void> = [];

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  start(): void {
    this.drainingSince ??= Date.now();
  }

  wrap(handler: RequestListener): RequestListener {
    return (req, res) => {
      if (this.draining) return this.refuse(req, res);
      this.active++;
      res.once('close', () => this.finished());
      return handler(req, res);
    };
  }

  /** Resolves once no request that was let through is still running. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private finished(): void {
    this.active--;
    if (this.active > 0) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private refuse(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    // Answered before the app's middleware: its headers are set here. The page is static text.
    res.setHeader('Connection', 'close');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (path === '/healthz') {
      // Alive, and about to exit by itself: no reason for a liveness probe to kill it first.
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","draining":true}');
    }
    if (path === '/readyz') {
      return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"draining"}');
    }
    // The app's renderer, without the app: the same JSON and page as any other 503.
    const draining = new AppError('service_unavailable', { message: 'The server is shutting down; try again shortly.' });
    const accept = req.headers.accept ?? '';
    const wantsHtml = /\btext\/html\b/.test(accept) && !/\bapplication\/json\b/.test(accept);
    const rendered = renderAppError(draining, { wantsHtml, linking: false, requestId: undefined });
    for (const [name, value] of Object.entries(rendered.headers)) res.setHeader(name, value);
    if (rendered.type === 'html') {
      res.writeHead(rendered.status, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      });
      res.end(rendered.body);
      return;
    }
    res.writeHead(rendered.status, { 'content-type': 'application/json' }).end(JSON.stringify(rendered.body));
  }
}

export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

/**
 * SIGTERM/SIGINT handling for the entry point. The first signal drains: `onDrain` runs at once
 * (readiness off), then the steps in reverse order of registration, each after the previous one,
 * all within `timeoutMs`; exit code 0. If the deadline passes first (Redis hung, a job that does
 * not finish) or a second signal arrives, `force` runs (it must be synchronous: kill children,
 * drop sockets) and the exit code is 1. Either way the process exits: nothing waits forever.
 */
export class Shutdown {
  private started = false;

  constructor(
    private readonly options: {
      /** Read when the drain starts: steps may be added until then. */
      steps: readonly ShutdownStep[];
      timeoutMs: number;
      log: Logger;
      onDrain: () => void;
      force: () => void;
      exit: (code: number) => void;
    },
  ) {}

  /** Installs the signal handlers: call first thing, so a signal during start-up is handled too. */
  trap(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    for (const signal of signals) process.on(signal, () => this.signal(signal));
  }

  signal(signal: string): void {
    const { log } = this.options;
    if (this.started) {
      log.warn({ signal }, 'second signal: exiting now');
      this.forceExit();
      return;
    }
    this.started = true;
    log.info({ signal, timeoutMs: this.options.timeoutMs }, 'shutting down');
    this.run(0, true);
  }

  /**
   * Start-up failed after something started (the caller has printed why): the same steps, without
   * the log lines of a shutdown, then exit with `code`.
   */
  abort(code: number): void {
    if (this.started) return;
    this.started = true;
    this.run(code, false);
  }

  private run(code: number, logged: boolean): void {
    const { log } = this.options;
    this.options.onDrain();
    const deadline = setTimeout(() => {
      log.warn({ timeoutMs: this.options.timeoutMs }, 'shutdown timed out: exiting without finishing');
      this.forceExit();
    }, this.options.timeoutMs);
    void this.drain().then(() => {
      clearTimeout(deadline);
      if (logged) log.info('shutdown complete');
      this.options.exit(code);
    });
  }

  private async drain(): Promise<void> {
    for (const step of [...this.options.steps].reverse()) {
      try {
        await step.run();
      } catch (err) {
        this.options.log.warn({ step: step.name, err: (err as Error).message }, 'cleanup step failed');
      }
    }
  }

  private forceExit(): void {
    try {
      this.options.force();
    } finally {
      this.options.exit(1);
    }
  }
}

import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with a request the selector picks: never answer, or answer this status. */
export type ProxyFault = { kind: 'hang' } | { kind: 'status'; status: number };

export interface ProxiedCall {
  method: string;
  path: string;
  authorization: string | undefined;
  /** 'forwarded', or the fault it got. */
  outcome: 'forwarded' | 'hang' | number;
  startedAt: number;
  /** When a hung request was given up by the caller (its socket closed); undefined while open. */
  abandonedAt?: number;
}

/**
 * A real HTTP proxy in front of a fake cloud that injects faults for some callers only: the fakes'
 * own fault hooks hit every caller, and the cloud-fault tests need one installation to suffer
 * while the others are served normally. Callers are told apart by their bearer token.
 */
export class FaultProxy {
  readonly calls: ProxiedCall[] = [];
  private fault: { select: (authorization: string | undefined) => boolean; fault: ProxyFault } | undefined;
  private readonly hung = new Set<IncomingMessage>();
  private baseUrl = '';

  private constructor(
    private readonly target: URL,
    private readonly server: Server,
  ) {}

  static async start(targetUrl: string): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(new URL(targetUrl), server);
    server.on('request', (req, res) => proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return proxy;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Requests whose Authorization header `select` picks get `fault` until cleared. */
  failWhen(select: (authorization: string | undefined) => boolean, fault: ProxyFault): void {
    this.fault = { select, fault };
  }

  clear(): void {
    this.fault = undefined;
  }

  async stop(): Promise<void> {
    for (const req of this.hung) req.socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
    const authorization = req.headers.authorization;
    const call: ProxiedCall = { method: req.method ?? 'GET', path: req.url ?? '/', authorization, outcome: 'forwarded', startedAt: Date.now() };
    this.calls.push(call);
    const fault = this.fault && this.fault.select(authorization) ? this.fault.fault : undefined;
    if (fault?.kind === 'hang') {
      call.outcome = 'hang';
      this.hung.add(req);
      req.resume();
      req.socket.once('close', () => {
        call.abandonedAt = Date.now();
        this.hung.delete(req);
      });
      return;
    }
    if (fault?.kind === 'status') {
      call.outcome = fault.status;
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('injected fault');
      return;
    }
    const upstream = request(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: { ...req.headers, host: this.target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBearer } from '../secrets/authorization-header';
import { AppError } from '../errors';
import { renderAppError } from '../http/render-error';
import type { Base } from '../services';
import { type QueueOwners, refreshQueueDepth } from './queue-depth';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` for a process that runs workers only (`work` mode): polls, refreshes, cloud calls
 * and job outcomes are counted where the jobs run, so each worker process must be scraped itself.
 */
export async function startMetricsServer(services: Pick<Base, 'config' | 'metrics'> & QueueOwners, port: number, host: string): Promise<MetricsServer> {
  // Errors drawn by the one renderer, as the host draws them (JSON: nobody browses a worker's port).
  const fail = (res: ServerResponse, err: AppError): void => {
    const rendered = renderAppError(err, { wantsHtml: false, linking: false, requestId: undefined });
    res
      .writeHead(rendered.status, { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff', ...rendered.headers })
      .end(JSON.stringify(rendered.body));
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return fail(res, new AppError('not_found'));
    // The host's rule (METRICS_TOKEN, when set, as a bearer token), on the worker's own port.
    const token = services.config.metricsToken;
    if (token !== undefined && !isBearer(req.headers.authorization, token)) return fail(res, new AppError('unauthorized'));
    refreshQueueDepth(services)
      .then(() => services.metrics.registry.metrics())
      .then(
        (body) => res.writeHead(200, { 'content-type': services.metrics.registry.contentType }).end(body),
        () => fail(res, new AppError('service_unavailable', { message: 'Metrics are unavailable.' })),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

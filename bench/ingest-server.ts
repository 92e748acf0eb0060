/**
 * The server side of the ingest benchmark, run in its own process (pinned to one core by the
 * parent). INGEST_MODE=real: the host exactly as `npm start -- serve` builds it. INGEST_MODE=bare:
 * a bare Koa app that reads the same body, parses the JSON and answers 202: the ceiling.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createApp } from '../src/runtime/http/app';
import { readRawBody } from '../src/ingest/read-body';
import { emit } from './lib/child';
import { servicesFrom } from './lib/env';

const mode = process.env['INGEST_MODE'] === 'bare' ? 'bare' : 'real';
let close: () => Promise<void> = async () => undefined;
let handler: ReturnType<Koa['callback']>;

if (mode === 'real') {
  const built = await servicesFrom(process.env);
  await built.services.redis.ping();
  handler = createApp(built.services).callback();
  close = built.close;
} else {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method !== 'POST' || !ctx.path.startsWith('/connectors/')) {
      ctx.status = 404;
      return;
    }
    const raw = await readRawBody(ctx.req, 256 * 1024);
    JSON.parse(raw.toString('utf8'));
    ctx.status = 202;
    ctx.body = { status: 'accepted' };
  });
  handler = app.callback();
}

const server = createServer(handler);
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
emit({ type: 'ready', port: (server.address() as AddressInfo).port, mode });

process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  // process.exit (not a crash) so that --cpu-prof writes its profile.
  void close().finally(() => process.exit(0));
});

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { expect, inject, it } from 'vitest';
import { createApp } from '../../src/runtime/http/app';
import { createLogger } from '../../src/runtime/logging/logger';
import { servicesFromEnv } from '../helpers/services-from-env';

/**
 * The demo's console shows its banner, not a line per request: answers below 500 are logged at
 * debug there (LOG_LEVEL=debug shows them). A configured deployment keeps its access log at info.
 */

async function accessLines(env: Record<string, string>, level: string): Promise<Array<{ level: number; path: string; status: number }>> {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  const built = await servicesFromEnv(
    { REDIS_URL: inject('redisUrl'), KEY_PREFIX: `test-${randomUUID()}`, LOG_LEVEL: level, ...env },
    { log: createLogger(level, stream) },
  );
  const server = createServer(createApp(built.services).callback());
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await fetch(`${base}/api/installations`); // 401: a bad request is still a request
    await fetch(`${base}/favicon.ico`); // 404: what every browser asks for
  } finally {
    server.closeAllConnections();
    await new Promise<void>((closed) => server.close(() => closed()));
    await built.close();
  }
  return lines
    .map((l) => JSON.parse(l) as { msg: string; level: number; path: string; status: number })
    .filter((l) => l.msg === 'request completed');
}

const DEMO = { DEMO: 'true' };
const CONFIGURED = { DEMO: 'false', ADMIN_TOKEN: 'access-log-admin-token-0123', SECRET_KEY: 'c'.repeat(64), ECOBEE_CLIENT_ID: 'x' };

it('demo at LOG_LEVEL=info => no access lines', async () => {
  expect(await accessLines(DEMO, 'info')).toEqual([]);
});

it('demo at LOG_LEVEL=debug => every request, at debug (20)', async () => {
  const lines = await accessLines(DEMO, 'debug');
  expect(lines.map((l) => [l.path, l.status, l.level])).toEqual([
    ['/api/installations', 401, 20],
    ['/favicon.ico', 404, 20],
  ]);
});

it('configured deployment at LOG_LEVEL=info => its access log at info (30), as before', async () => {
  const lines = await accessLines(CONFIGURED, 'info');
  expect(lines.map((l) => [l.path, l.level])).toEqual([
    ['/api/installations', 30],
    ['/favicon.ico', 30],
  ]);
});

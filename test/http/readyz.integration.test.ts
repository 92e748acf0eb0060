import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNeutralHost } from '../helpers/neutral-host';
import { freePort } from '../../src/runtime/redis-bootstrap';

let host: Awaited<ReturnType<typeof startNeutralHost>>;
beforeAll(async () => {
  // Nothing listens on this port: the host's Redis is unreachable from the start.
  host = await startNeutralHost({ env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
});
afterAll(async () => {
  await host.close().catch(() => undefined);
});

it('GET /readyz => 503 while Redis is unreachable, /healthz still 200', async () => {
  const ready = await fetch(`${host.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ redis: 'down' });
  expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
});

it('POST /api/installations => 503 JSON, not a stack trace, while Redis is unreachable', async () => {
  const res = await host.admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector: 'acme', locationId: 'x' }) });
  expect(res.status).toBe(503);
  // Every 503 says when to come back.
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  const body = (await res.json()) as { error: string; message: string };
  expect(body.error).toBe('service_unavailable');
  expect(body.message).not.toMatch(/at .*\.ts/);
});

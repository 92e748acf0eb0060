import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServer } from '../../src/runtime/metrics/server';
import { startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

let host: NeutralHost;
let server: MetricsServer;
beforeAll(async () => {
  host = await startNeutralHost();
  server = await startMetricsServer(host.services, 0, '127.0.0.1');
});
afterAll(async () => {
  await server.close();
  await host.close();
});

it('work-mode metrics server => GET /metrics scrapes counters and queue depth; anything else is a JSON 404', async () => {
  host.services.metrics.polls.inc({ outcome: 'unchanged' });
  await host.services.scheduler.pollNow('00000000-0000-4000-8000-000000000001', 'manual', 60_000);
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  expect(text).toMatch(/^sm_polls_total\{outcome="unchanged"\} 1$/m);
  expect(text).toMatch(/^sm_queue_jobs\{queue="poll",state="delayed"\} 1$/m);
  expect(text).toMatch(/^sm_queue_jobs\{queue="webhook",state="waiting"\} 0$/m);

  for (const [method, path] of [['GET', '/'], ['POST', '/metrics'], ['GET', '/metrics/../api']] as const) {
    const other = await fetch(`${server.url}${path}`, { method });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'not_found', message: 'Not found.' });
  }
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { link } from '../helpers/link';

let host: NeutralHost;
beforeAll(async () => {
  host = await startNeutralHost();
});
afterAll(async () => {
  await host.close();
});

it('GET /metrics => route latency, refresh outcomes, cloud call outcomes, queue depth; no tokens', async () => {
  const inst = await link(host, undefined, NEUTRAL_CONNECTOR);
  host.fake.expireAccessTokens();
  const res = await host.admin(`/api/installations/${inst.id}/discovered`);
  expect(res.status).toBe(200);
  const metrics = await fetch(`${host.url}/metrics`);
  expect(metrics.status).toBe(200);
  const text = await metrics.text();
  expect(text).toMatch(/sm_token_refreshes_total\{outcome="refreshed"\} 1\b/);
  expect(text).toMatch(/sm_cloud_calls_total\{connector="acme",outcome="ok"\} 1\b/);
  expect(text).toContain('route="/api/installations/:id/discovered"');
  expect(text).toMatch(/sm_queue_jobs\{queue="poll",state="delayed"\} \d+/);
  expect(text).not.toContain(inst.accessToken);
  expect(text).not.toContain(inst.id);
});

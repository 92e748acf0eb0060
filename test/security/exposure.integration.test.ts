import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/runtime/config';
import { startMetricsServer, type MetricsServer } from '../../src/runtime/metrics/server';
import { startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

// Issue 14.13: the demo is reachable from this machine only unless HOST says otherwise, and with
// METRICS_TOKEN set, /metrics answers only that bearer token, on the host and on workers.

const specs = [{ name: 'acme', envPrefix: 'ACME', defaultApiUrl: 'https://api.acme.example' }];
const prod = { ACME_CLIENT_ID: 'abc', ADMIN_TOKEN: 'x'.repeat(20), SECRET_KEY: 'a'.repeat(64) };

describe('where the host listens', () => {
  it('demo mode binds 127.0.0.1; HOST overrides it; a configured deployment binds every interface', () => {
    expect(loadConfig({}, specs).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }, specs).host).toBe('0.0.0.0');
    expect(loadConfig(prod, specs).host).toBe('0.0.0.0');
    expect(loadConfig({ ...prod, HOST: '10.0.0.5' }, specs).host).toBe('10.0.0.5');
  });

  it('TRUST_PROXY defaults to no proxy; METRICS_TOKEN must be long enough to be a secret', () => {
    expect(loadConfig(prod, specs).trustProxy).toBe(0);
    expect(loadConfig({ ...prod, TRUST_PROXY: '2' }, specs).trustProxy).toBe(2);
    expect(() => loadConfig({ ...prod, METRICS_TOKEN: 'short' }, specs)).toThrow(/METRICS_TOKEN/);
  });
});

describe("a worker's /metrics with METRICS_TOKEN", () => {
  const TOKEN = 'worker-metrics-token-0123456789';
  let host: NeutralHost;
  let server: MetricsServer;
  beforeAll(async () => {
    host = await startNeutralHost({ env: { METRICS_TOKEN: TOKEN } });
    server = await startMetricsServer(host.services, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await server.close();
    await host.close();
  });

  it('no token or a wrong one => 401 JSON; the token => 200 with the metrics', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${TOKEN}` }]) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized', message: 'Missing or invalid credentials.' });
    }
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^sm_queue_jobs\{/m);
  });
});

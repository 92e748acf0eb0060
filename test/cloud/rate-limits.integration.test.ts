import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import type { CloudHttp, RateLimit } from '../../src/connectors/sdk';
import { retryAfterMs } from '../../src/cloud/retry-after';
import type { EnabledConnector } from '../../src/runtime';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { NEUTRAL_CONNECTOR, neutralConnectors } from '../helpers/neutral-host';

// Issue 16.5: the cloud's limits hold across processes. Two hosts on one Redis prefix stand for two
// worker processes; every figure below is counted at the fake cloud.

let fake: FakeAcme;
let one: HostCore & { fake: FakeAcme };
let two: HostCore;
let installationId: string;

beforeAll(async () => {
  fake = await FakeAcme.start();
  // One deployment: the same Redis prefix and the same SECRET_KEY (the stored tokens are sealed with it).
  const env = { KEY_PREFIX: `test-${randomUUID()}`, SECRET_KEY: randomBytes(32).toString('hex') };
  const connectors = await neutralConnectors();
  one = { ...(await startHostCore({ fakes: { [NEUTRAL_CONNECTOR]: fake }, connectors, env })), fake };
  two = await startHostCore({ fakes: { [NEUTRAL_CONNECTOR]: fake }, connectors, env });
  installationId = (await link(one, undefined, NEUTRAL_CONNECTOR)).id;
});
afterAll(async () => {
  await two.close();
  await one.close();
  await fake.stop();
});

function connector(host: HostCore, overrides: { rateLimits?: RateLimit[]; maxConcurrentRequests?: number } = {}): EnabledConnector {
  const enabled = host.services.connectors.get(NEUTRAL_CONNECTOR);
  if (!enabled) throw new Error(`${NEUTRAL_CONNECTOR} not enabled`);
  return { ...enabled, definition: { ...enabled.definition, ...overrides } };
}

const MARKER = { method: 'GET' as const, path: '/v1/revision' };
const markerCalls = () => fake.calls.filter((c) => c.path === MARKER.path).length;
const call = (http: CloudHttp) => http.request(MARKER);

describe('a 429 pauses the account on every worker', () => {
  it("the cloud's 429 with Retry-After: 1 => the other process does not call the cloud until it has passed, then calls again", async () => {
    const first = one.services.clients.for(installationId, connector(one));
    const second = two.services.clients.for(installationId, connector(two));
    fake.failNext('revision', { kind: 'status', status: 429, body: {}, headers: { 'retry-after': '1' } });
    await expect(call(first)).rejects.toMatchObject({ code: 'cloud_unavailable' });
    const seen = markerCalls();
    await expect(call(second)).rejects.toMatchObject({ code: 'cloud_unavailable' });
    await expect(call(first)).rejects.toMatchObject({ code: 'cloud_unavailable' });
    expect(markerCalls()).toBe(seen);
    const answer = await eventually(async () => call(second).catch(() => undefined), 'the pause to end', 10_000);
    expect(answer.status).toBe(200);
    expect(markerCalls()).toBe(seen + 1);
  });
});

describe("a declared quota is one budget for every worker", () => {
  it('3 requests per 10 minutes per account, 8 calls from two processes => exactly 3 reach the cloud, the rest fail fast as retryable', async () => {
    const limits: RateLimit[] = [{ per: 'account', requests: 3, windowMs: 600_000 }];
    const first = one.services.clients.for(installationId, connector(one, { rateLimits: limits }));
    const second = two.services.clients.for(installationId, connector(two, { rateLimits: limits }));
    const before = markerCalls();
    const results = await Promise.allSettled([first, second, first, second, first, second, first, second].map(call));
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(3);
    expect(rejected.map((r) => (r.reason as { code?: string }).code)).toEqual(Array(5).fill('cloud_unavailable'));
    expect(markerCalls() - before).toBe(3);
    // The budget is the account's: the next call, from either process, is refused without a request.
    await expect(call(first)).rejects.toMatchObject({ code: 'cloud_unavailable' });
    expect(markerCalls() - before).toBe(3);
    await one.services.clients.forget(installationId, connector(one, { rateLimits: limits }));
  });
});

describe('the concurrency cap holds across processes', () => {
  it('maxConcurrentRequests 1, slow cloud, calls from two processes => never 2 at the cloud at once; each call answered or refused as retryable', async () => {
    const first = one.services.clients.for(installationId, connector(one, { maxConcurrentRequests: 1 }));
    const second = two.services.clients.for(installationId, connector(two, { maxConcurrentRequests: 1 }));
    fake.setLatency(200);
    fake.resetInFlight();
    try {
      const results = await Promise.allSettled([first, second, first, second].map(call));
      expect(fake.maxInFlight).toBe(1);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(2);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'cloud_unavailable' });
    } finally {
      fake.setLatency(0);
    }
  });

  it('without the shared cap the same calls overlap at the cloud (the check above can fail)', async () => {
    const first = one.services.clients.for(installationId, connector(one, { maxConcurrentRequests: 10 }));
    const second = two.services.clients.for(installationId, connector(two, { maxConcurrentRequests: 10 }));
    fake.setLatency(200);
    fake.resetInFlight();
    try {
      await Promise.all([first, second, first, second].map(call));
      expect(fake.maxInFlight).toBeGreaterThan(1);
    } finally {
      fake.setLatency(0);
    }
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 1000],
    ['Fri, 04 Dec 2026 12:00:30 GMT', 30_000],
    ['Fri, 04 Dec 2026 11:00:00 GMT', 1000],
    [null, 60_000],
    ['soon', 60_000],
    ['999999', 3_600_000],
  ])('%s => %i ms (delay-seconds or HTTP-date, clamped to 1 s .. 1 h, a minute when absent)', (header, ms) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});

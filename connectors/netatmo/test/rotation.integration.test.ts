import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudHttp } from '../../../src/connectors/sdk';
import { startHostCore, type HostCore } from '../../../test/helpers/host';
import { eventually, link, type LinkedInstallation } from '../../../test/helpers/link';
import { runRefreshCallers } from '../../../test/helpers/refresh-callers';
import { FakeNetatmo } from '../fake/server';

/**
 * Netatmo rotates refresh tokens and kills the former pair at once (netatmo-api.md §1.4): two
 * refreshes racing with the same refresh token would disconnect the user. The authorized client
 * must refresh exactly once per expiry, in one process or across several, and never present a
 * refresh token that was already spent.
 */

let host: HostCore & { fake: FakeNetatmo };
let inst: LinkedInstallation;
let http: CloudHttp;

beforeEach(async () => {
  const fake = await FakeNetatmo.start();
  host = { ...(await startHostCore({ fakes: { netatmo: fake } })), fake };
  inst = await link(host, undefined, 'netatmo');
  const connector = host.services.connectors.get('netatmo');
  if (!connector) throw new Error('netatmo not enabled');
  // These tests call far faster than Netatmo's per-user quota allows (160 calls in seconds); the
  // quota itself is tested in test/cloud/rate-limits.integration.test.ts.
  http = host.services.clients.for(inst.id, { ...connector, definition: { ...connector.definition, rateLimits: [] } });
});
afterEach(async () => {
  await host.close();
  await host.fake.stop();
});

const homesdata = () => http.request({ method: 'GET', path: '/api/homesdata' });

describe('netatmo token rotation', () => {
  it('50 concurrent calls on an expired token (403 code 3) => exactly 1 refresh, all 50 answered, no stale refresh token', async () => {
    host.fake.expireAccessTokens();
    const before = await host.services.tokens.get(inst.id);
    const results = await Promise.all(Array.from({ length: 50 }, () => homesdata()));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(host.fake.refreshCount()).toBe(1);
    expect(host.fake.staleRefreshAttempts()).toBe(0);
    const after = await host.services.tokens.get(inst.id);
    expect(after?.tokens.refreshToken).not.toBe(before?.tokens.refreshToken);
    expect(after?.tokens.scope).toBe('read_thermostat write_thermostat');
  });

  it('20 expiry cycles with 8 concurrent calls each => 20 refreshes, never a stale refresh token', async () => {
    for (let cycle = 0; cycle < 20; cycle++) {
      host.fake.expireAccessTokens();
      const results = await Promise.all(Array.from({ length: 8 }, () => homesdata()));
      expect(results.every((r) => r.status === 200)).toBe(true);
    }
    expect(host.fake.refreshCount()).toBe(20);
    expect(host.fake.staleRefreshAttempts()).toBe(0);
  });

  it('a call in flight while another refreshes => refused with code 2 (rotated away), replayed with the new token, no second refresh', async () => {
    const { id: homeId } = host.fake.homes()[0] ?? { id: '' };
    // A goes out with the current token and is held by the cloud for a while.
    host.fake.setLatency(1000);
    const a = homesdata();
    await eventually(async () => host.fake.calls.some((c) => c.path === '/api/homesdata'), 'A at the cloud');
    host.fake.setLatency(0);
    // B is told its token expired: the client refreshes, which rotates A's token away under it.
    host.fake.failNext('homestatus', { kind: 'status', status: 403, body: { error: { code: 3, message: 'Access token expired' } } });
    const b = await http.request({ method: 'GET', path: '/api/homestatus', query: { home_id: homeId } });
    expect(b.status).toBe(200);
    expect(host.fake.refreshCount()).toBe(1);
    expect((await a).status).toBe(200);
    expect(host.fake.calls.filter((c) => c.path === '/api/homesdata')).toHaveLength(2);
    expect(host.fake.refreshCount()).toBe(1);
    expect(host.fake.staleRefreshAttempts()).toBe(0);
  });

  it('50 calls from two separate Node processes on an expired token => exactly 1 refresh, no stale refresh token', async () => {
    host.fake.expireAccessTokens();
    const results = await runRefreshCallers(host, {
      connector: 'netatmo',
      installationId: inst.id,
      request: { method: 'GET', path: '/api/homesdata' },
      processes: 2,
      calls: 25,
    });
    expect(results.map((r) => r.ok)).toEqual([25, 25]);
    expect(host.fake.refreshCount()).toBe(1);
    expect(host.fake.staleRefreshAttempts()).toBe(0);
  }, 30_000);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { link, type LinkedInstallation } from '../helpers/link';
import { runRefreshCallers } from '../helpers/refresh-callers';
import type { CloudHttp } from '../../src/connectors/cloud-types';
import { AppError } from '../../src/runtime/errors';
import { keyNames } from '../helpers/key-names';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

let host: NeutralHost;
let inst: LinkedInstallation;
let clock: number;
let http: CloudHttp;

/** The neutral cloud's answer to an expired access token. */
const EXPIRED = { error: 'invalid_token', message: 'access token expired' };
const thermostats = () => http.request({ path: '/v1/devices' });

beforeEach(async () => {
  clock = Date.now();
  host = await startNeutralHost({ now: () => clock });
  inst = await link(host, undefined, NEUTRAL_CONNECTOR);
  const connector = host.services.connectors.get(NEUTRAL_CONNECTOR);
  if (!connector) throw new Error(`${NEUTRAL_CONNECTOR} not enabled`);
  http = host.services.clients.for(inst.id, connector);
});
afterEach(async () => {
  await host.close();
});

async function statusOf(id: string): Promise<string> {
  return ((await (await host.admin(`/api/installations/${id}`)).json()) as { status: string }).status;
}

describe('authorized client', () => {
  it('request => attaches the stored token and returns the answer', async () => {
    const res = await thermostats();
    expect(res.status).toBe(200);
    expect((res.body as { devices: unknown[] }).devices).toHaveLength(3);
    expect(host.fake.refreshCount()).toBe(0);
  });

  it('request with an expired token (401) => one refresh, the same call replayed, its result returned', async () => {
    const before = await host.services.tokens.get(inst.id);
    host.fake.expireAccessTokens();
    const res = await thermostats();
    expect(res.status).toBe(200);
    expect((res.body as { devices: unknown[] }).devices).toHaveLength(3);
    expect(host.fake.refreshCount()).toBe(1);
    const after = await host.services.tokens.get(inst.id);
    expect(after?.tokens.accessToken).not.toBe(before?.tokens.accessToken);
    expect(after?.tokens.refreshToken).not.toBe(before?.tokens.refreshToken);
    const paths = host.fake.calls.slice(-3).map((c) => c.path);
    expect(paths).toEqual(['/v1/devices', '/oauth2/token', '/v1/devices']);
  });

  it('request whose replay is refused again => clear error, exactly one refresh, no loop', async () => {
    host.fake.failNext('devices', { kind: 'status', status: 401, body: EXPIRED }, 2);
    const err = await thermostats().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('cloud_error');
    expect((err as AppError).message).toContain('freshly refreshed token');
    expect(host.fake.refreshCount()).toBe(1);
    expect(host.fake.calls.filter((c) => c.path === '/v1/devices')).toHaveLength(2);
    expect(await statusOf(inst.id)).toBe('linked');
  });

  it('request with a token about to expire => refreshed before use, the cloud never sees the old one fail', async () => {
    clock += 3_600_000 - 60_000; // inside the 120 s margin
    const res = await thermostats();
    expect(res.status).toBe(200);
    expect(host.fake.refreshCount()).toBe(1);
    expect(host.fake.calls.slice(-2).map((c) => c.path)).toEqual(['/oauth2/token', '/v1/devices']);
  });

  it('50 concurrent calls on an expired token => exactly 1 refresh, all 50 succeed', async () => {
    host.fake.expireAccessTokens();
    const results = await Promise.all(Array.from({ length: 50 }, () => thermostats()));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(host.fake.refreshCount()).toBe(1);
  });

  it('rotating refresh tokens: 20 expiry cycles under concurrency => 20 refreshes, never a stale refresh token', async () => {
    for (let cycle = 0; cycle < 20; cycle++) {
      host.fake.expireAccessTokens();
      const results = await Promise.all(Array.from({ length: 8 }, () => thermostats()));
      expect(results.every((r) => r.status === 200)).toBe(true);
    }
    expect(host.fake.refreshCount()).toBe(20);
    expect(host.fake.staleRefreshAttempts()).toBe(0);
  });

  it('lock holder crashed mid-refresh => a later call refreshes once the lock times out', async () => {
    // What a crashed holder leaves behind: its lock, with its TTL running.
    await host.inspect.set(keyNames(host.services.keys).refreshLock(inst.id), 'crashed-owner', 'PX', 400);
    host.fake.expireAccessTokens();
    const res = await thermostats();
    expect(res.status).toBe(200);
    expect(host.fake.refreshCount()).toBe(1);
    expect(await host.inspect.exists(keyNames(host.services.keys).refreshLock(inst.id))).toBe(0);
  });

  it('refresh refused (invalid_grant) => reauth_required, polling paused, event recorded; re-link => linked, devices kept', async () => {
    const put = await host.admin(`/api/installations/${inst.id}/settings`, {
      method: 'PUT',
      body: JSON.stringify({ devices: ['dev-1'] }),
    });
    expect(put.status).toBe(200);
    expect(await host.services.scheduler.isScheduled(inst.id)).toBe(true);

    host.fake.deauthorize();
    host.fake.expireAccessTokens();
    const err = await thermostats().catch((e: unknown) => e);
    expect((err as AppError).code).toBe('reauth_required');
    expect(await statusOf(inst.id)).toBe('reauth_required');
    expect(await host.services.scheduler.isScheduled(inst.id)).toBe(false);
    const events = (await (await host.admin(`/api/installations/${inst.id}/events`)).json()) as { events: Array<{ type: string }> };
    expect(events.events.map((e) => e.type)).toContain('installation.reauthRequired');

    const setup = await inst.browser.get(inst.setupUrl);
    expect(await setup.text()).toContain('Reconnect');
    await link(host, inst, NEUTRAL_CONNECTOR);
    expect(await statusOf(inst.id)).toBe('linked');
    expect(await host.services.scheduler.isScheduled(inst.id)).toBe(true);
    const devices = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ externalId: string }> }).items;
    expect(devices.map((d) => d.externalId)).toEqual(['dev-1']);
  });

  it('refresh refused => no further refresh attempts on later calls', async () => {
    host.fake.failNext('token', {
      kind: 'status',
      status: 400,
      body: { error: 'invalid_grant', error_description: 'revoked', error_uri: 'https://tools.ietf.org/html/rfc6749#section-5.2' },
    });
    host.fake.expireAccessTokens();
    await expect(thermostats()).rejects.toMatchObject({ code: 'reauth_required' });
    expect(host.fake.refreshCount()).toBe(1);
    await expect(thermostats()).rejects.toMatchObject({ code: 'reauth_required' });
    expect(host.fake.refreshCount()).toBe(1);
  });

  it('transient refresh failure (500 once) => retried, call succeeds, status stays linked', async () => {
    host.fake.failNext('token', { kind: 'status', status: 500 });
    host.fake.expireAccessTokens();
    const res = await thermostats();
    expect(res.status).toBe(200);
    expect(host.fake.refreshCount()).toBe(2);
    expect(await statusOf(inst.id)).toBe('linked');
  });

  it('token endpoint down for every attempt => cloud_unavailable, status stays linked, tokens unchanged', async () => {
    const before = await host.services.tokens.get(inst.id);
    host.fake.failNext('token', { kind: 'reset' }, 3);
    host.fake.expireAccessTokens();
    await expect(thermostats()).rejects.toMatchObject({ code: 'cloud_unavailable' });
    expect(await statusOf(inst.id)).toBe('linked');
    expect((await host.services.tokens.get(inst.id))?.sealed).toBe(before?.sealed);
  });

  it('cloud that hangs => cloud_unavailable after the timeout', async () => {
    host.fake.failNext('devices', { kind: 'hang' });
    await expect(thermostats()).rejects.toMatchObject({ code: 'cloud_unavailable' });
  });

  it('revoked grant (403 access_revoked) => reauth_required without a refresh', async () => {
    host.fake.deauthorize();
    await expect(thermostats()).rejects.toMatchObject({ code: 'reauth_required' });
    expect(host.fake.refreshCount()).toBe(0);
    expect(await statusOf(inst.id)).toBe('reauth_required');
  });

  it('errors never carry a token', async () => {
    const stored = await host.services.tokens.get(inst.id);
    host.fake.failNext('devices', { kind: 'status', status: 401, body: EXPIRED }, 2);
    const err = (await thermostats().catch((e: unknown) => e)) as Error;
    const text = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
    expect(text).not.toContain(stored?.tokens.accessToken ?? 'x');
    expect(text).not.toContain(stored?.tokens.refreshToken ?? 'x');
  });
});

describe('refresh across processes', () => {
  it('50 calls from two separate Node processes on an expired token => the cloud counts exactly 1 refresh', async () => {
    host.fake.expireAccessTokens();
    const results = await runRefreshCallers(host, {
      connector: NEUTRAL_CONNECTOR,
      installationId: inst.id,
      request: { path: '/v1/devices' },
      processes: 2,
      calls: 25,
    });
    expect(results.map((r) => r.ok)).toEqual([25, 25]);
    expect(host.fake.refreshCount()).toBe(1);
    expect(host.fake.staleRefreshAttempts()).toBe(0);
  }, 30_000);
});

describe('revocation', () => {
  it('uninstall => tokens deleted, installation token refused, second DELETE 404', async () => {
    const del = await host.admin(`/api/installations/${inst.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
    const setup = await fetch(inst.setupUrl);
    expect(setup.status).toBe(401);
    expect((await host.admin(`/api/installations/${inst.id}`, { method: 'DELETE' })).status).toBe(404);
    await expect(thermostats()).rejects.toMatchObject({ code: 'reauth_required' });
  });
});

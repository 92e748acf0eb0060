import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/host';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

let host: NeutralHost;
beforeAll(async () => {
  host = await startNeutralHost();
});
afterAll(async () => {
  await host.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  host.admin('/api/installations', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });

describe('admin API authentication', () => {
  it('POST /api/installations => 401 without a bearer token', async () => {
    const res = await fetch(`${host.url}/api/installations`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('GET /api/installations => 401 with a wrong bearer token', async () => {
    const res = await fetch(`${host.url}/api/installations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    expect(res.status).toBe(401);
  });

  it('GET /api/unknown => 404 with or without a token (guards belong to routes, not to a path prefix)', async () => {
    expect((await fetch(`${host.url}/api/unknown`)).status).toBe(404);
    expect((await host.admin('/api/unknown')).status).toBe(404);
  });
});

describe('POST /api/installations', () => {
  it('POST => 400 with a body that is not JSON', async () => {
    const res = await post('{"connector": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_json' });
  });

  it('POST => 400 naming the missing field', async () => {
    const res = await post({ connector: NEUTRAL_CONNECTOR });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('bad_request');
    expect(body.message).toContain('locationId');
  });

  it('POST => 400 for a connector that is not enabled', async () => {
    const res = await post({ connector: 'nope', locationId: 'home-x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('nope');
  });

  it('POST => 413 for a body over 256 KiB', async () => {
    const res = await post({ connector: NEUTRAL_CONNECTOR, locationId: 'home-big', pad: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
    expect(await host.services.installations.list({ locationId: 'home-big' })).toEqual([]);
  });

  it('POST => 201 with the token and setup URL, and the record never shows the token again', async () => {
    const res = await post({ connector: NEUTRAL_CONNECTOR, locationId: 'home-1' });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, string>;
    expect(created).toMatchObject({ connector: NEUTRAL_CONNECTOR, locationId: 'home-1', status: 'pending' });
    expect(created['accessToken']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created['setupUrl']).toBe(
      `${host.url}/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${created['id']}&access_token=${created['accessToken']}`,
    );
    const got = await host.admin(`/api/installations/${created['id']}`);
    expect(got.status).toBe(200);
    const text = await got.text();
    expect(JSON.parse(text)).toMatchObject({ id: created['id'], status: 'pending', connector: NEUTRAL_CONNECTOR });
    expect(text).not.toContain(created['accessToken']);
    expect(text).not.toContain('tokenHash');
  });

  it('POST a second installation of a single-instance connector at the same location => 409 already_installed naming the first', async () => {
    const first = (await (await post({ connector: NEUTRAL_CONNECTOR, locationId: 'home-2' })).json()) as { id: string };
    const res = await post({ connector: NEUTRAL_CONNECTOR, locationId: 'home-2' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'already_installed', installationId: first.id });
  });

  it('POST 20 racing creates at one location => exactly one 201, the rest 409 with its id', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => post({ connector: NEUTRAL_CONNECTOR, locationId: 'home-race' })));
    const created = results.filter((r) => r.status === 201);
    const conflicts = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    const id = ((await created[0]?.json()) as { id: string }).id;
    for (const r of conflicts) expect(((await r.json()) as { installationId: string }).installationId).toBe(id);
    expect(await host.services.installations.list({ locationId: 'home-race' })).toHaveLength(1);
  });
});

describe('GET /api/installations', () => {
  it('GET /:id => 404 for an unknown id', async () => {
    const res = await host.admin('/api/installations/does-not-exist');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it('GET ?locationId= => only that location', async () => {
    await post({ connector: NEUTRAL_CONNECTOR, locationId: 'loc-a' });
    await post({ connector: NEUTRAL_CONNECTOR, locationId: 'loc-b' });
    const res = await host.admin('/api/installations?locationId=loc-a');
    const list = ((await res.json()) as { items: Array<{ locationId: string }> }).items;
    expect(list.map((i) => i.locationId)).toEqual(['loc-a']);
  });
});

describe('health', () => {
  it('GET /healthz => 200', async () => {
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
  });
  it('GET /readyz => 200 while Redis answers', async () => {
    const res = await fetch(`${host.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ redis: 'up' });
  });
});

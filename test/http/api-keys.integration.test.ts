import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { apiKeyCommand } from '../../src/runtime/api-key-command';
import { ADMIN_TOKEN, dumpKeys } from '../helpers/host';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

let host: NeutralHost;
beforeAll(async () => {
  host = await startNeutralHost();
});
afterAll(async () => {
  await host.close();
});

/** Runs the command as an operator would, against the host's Redis and prefix; what it printed. */
async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const env = {
    REDIS_URL: inject('redisUrl'),
    KEY_PREFIX: host.config.keyPrefix,
    ADMIN_TOKEN,
    SECRET_KEY: randomBytes(32).toString('hex'),
    PUBLIC_URL: host.url,
    LOG_LEVEL: 'silent',
  };
  const code = await apiKeyCommand(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l), now: () => new Date() });
  return { code, out, err };
}

async function create(scope: string, name = `key-${scope}`): Promise<{ id: string; key: string }> {
  const r = await run('create', '--name', name, '--scope', scope);
  expect(r.code).toBe(0);
  expect(r.out).toHaveLength(1);
  const key = r.out[0] ?? '';
  expect(key).toMatch(/^smk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
  return { id: key.slice(4, 36), key };
}

const as = (key: string, path: string, init: RequestInit = {}) =>
  fetch(`${host.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });
const newInstallation = (key: string) => as(key, '/api/installations', { method: 'POST', body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: `k-${Math.random().toString(36).slice(2)}` }) });

describe('api-key command: bad input', () => {
  it('no command, an unknown one, create without --scope or with another scope, without --name, revoke without an id => exit 2', async () => {
    for (const argv of [[], ['rotate'], ['create', '--name', 'x'], ['create', '--name', 'x', '--scope', 'admin'], ['create', '--scope', 'read'], ['create', '--name', '', '--scope', 'read'], ['revoke'], ['create', '--nmae', 'x']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out).toEqual([]);
    }
  });

  it('without REDIS_URL => exit 2, saying what to set', async () => {
    const err: string[] = [];
    const code = await apiKeyCommand(['list'], { env: { ADMIN_TOKEN, SECRET_KEY: randomBytes(32).toString('hex'), KEY_PREFIX: 'x' }, out: () => undefined, err: (l) => err.push(l), now: () => new Date() });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/REDIS_URL/);
  });
});

describe('named API keys on the admin API', () => {
  it('a read key => GET 200; POST, PUT, PATCH, DELETE => 403 forbidden, nothing done', async () => {
    const { key } = await create('read');
    expect((await as(key, '/api/installations')).status).toBe(200);
    expect((await as(key, '/api/users')).status).toBe(200);
    const refused = await newInstallation(key);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'forbidden' });
    const made = await newInstallation(ADMIN_TOKEN);
    const id = ((await made.json()) as { id: string }).id;
    expect((await as(key, `/api/installations/${id}`, { method: 'DELETE' })).status).toBe(403);
    expect((await as(key, `/api/installations/${id}/settings`, { method: 'PUT', body: '{"devices":[]}' })).status).toBe(403);
    expect((await as(key, `/api/installations/${id}/devices/x`, { method: 'PATCH', body: '{"label":"x"}' })).status).toBe(403);
    expect((await as(key, `/api/installations/${id}`)).status).toBe(200);
  });

  it('a full key => writes too', async () => {
    const { key } = await create('full');
    const made = await newInstallation(key);
    expect(made.status).toBe(201);
    const id = ((await made.json()) as { id: string }).id;
    expect((await as(key, `/api/installations/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('revoke => that key answers 401 at once; revoking again or an unknown id => exit 1; other keys keep working', async () => {
    const { id, key } = await create('full', 'ci');
    const other = await create('read', 'dashboard');
    expect((await as(key, '/api/installations')).status).toBe(200);
    const r = await run('revoke', id);
    expect(r.code).toBe(0);
    const revoked = await as(key, '/api/installations');
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ error: 'unauthorized' });
    expect((await newInstallation(key)).status).toBe(401);
    expect((await run('revoke', id)).code).toBe(1);
    expect((await run('revoke', '0'.repeat(32))).code).toBe(1);
    expect((await run('revoke', 'not-an-id')).code).toBe(1);
    expect((await as(other.key, '/api/installations')).status).toBe(200);
    const list = await run('list');
    expect(list.code).toBe(0);
    expect(list.out.find((l) => l.startsWith(id))).toMatch(/\trevoked .*\tci$/);
    expect(list.out.find((l) => l.startsWith(other.id))).toMatch(/\tlive\tdashboard$/);
  });

  it('a right id with a wrong secret, a malformed key, a key as Basic => 401; ADMIN_TOKEN still works', async () => {
    const { key } = await create('full');
    const wrong = `${key.slice(0, 37)}${key.at(37) === 'A' ? 'B' : 'A'}${key.slice(38)}`;
    for (const bad of [wrong, `${key}x`, key.slice(0, -1), 'smk_', key.toUpperCase()]) {
      expect((await as(bad, '/api/installations')).status, bad).toBe(401);
    }
    expect((await fetch(`${host.url}/api/installations`, { headers: { authorization: `Basic ${Buffer.from(`x:${key}`).toString('base64')}` } })).status).toBe(401);
    expect((await as(ADMIN_TOKEN, '/api/installations')).status).toBe(200);
    expect((await newInstallation(ADMIN_TOKEN)).status).toBe(201);
  });

  it('keys are stored only as digests: no key appears in Redis', async () => {
    const { key } = await create('full', 'at-rest');
    const secret = key.slice(37);
    for (const [name, value] of await dumpKeys(host)) {
      expect(value.includes(secret), name).toBe(false);
      expect(name.includes(secret), name).toBe(false);
    }
  });
});

describe('named API keys on the queue dashboard', () => {
  it('a read key => GET 200, a write => 403; a revoked key => 401', async () => {
    const { id, key } = await create('read', 'dash');
    expect((await as(key, '/admin/queues/api/queues')).status).toBe(200);
    const write = await as(key, '/admin/queues/api/queues/poll/retry/failed', { method: 'PUT' });
    expect(write.status).toBe(403);
    expect((await run('revoke', id)).code).toBe(0);
    expect((await as(key, '/admin/queues/api/queues')).status).toBe(401);
  });
});

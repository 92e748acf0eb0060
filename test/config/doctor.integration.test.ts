import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClock, checkFailoverSafety, checkKeys, MAX_CLOCK_SKEW_MS, report, runChecks, type Finding } from '../../src/runtime/cli/doctor';
import { freePort, startPrivateRedis } from '../../src/runtime/redis-bootstrap';
import { toolClient } from '../helpers/redis-client';

/** `service-manager doctor` against real redis-servers configured well and badly. */

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const KEY = randomBytes(32).toString('hex');

let good: Awaited<ReturnType<typeof startPrivateRedis>>;
let bad: Awaited<ReturnType<typeof startPrivateRedis>>;
beforeAll(async () => {
  [good, bad] = await Promise.all([startPrivateRedis({ appendOnly: true }), startPrivateRedis()]);
  const goodClient = toolClient(good.url);
  await goodClient.config('SET', 'maxmemory-policy', 'noeviction');
  goodClient.disconnect();
  // The default a managed Redis often ships with, and nothing persisted.
  const badClient = toolClient(bad.url);
  await badClient.config('SET', 'maxmemory-policy', 'allkeys-lru');
  badClient.disconnect();
});
afterAll(async () => {
  await Promise.all([good?.stop(), bad?.stop()]);
});

const levels = (findings: Finding[]) => Object.fromEntries(findings.map((f) => [f.check, f.level]));

it('a well-set Redis and SECRET_KEY => every check ok, exit code 0', async () => {
  const findings = await runChecks({ REDIS_URL: good.url, SECRET_KEY: KEY });
  expect(levels(findings)).toEqual({ keys: 'ok', redis: 'ok', persistence: 'ok', 'maxmemory-policy': 'ok', clock: 'ok' });
  const { text, code } = report(findings);
  expect(code).toBe(0);
  expect(text).toContain('doctor: nothing must be fixed');
});

it('no persistence, allkeys-lru, malformed SECRET_KEYS => each named with what to do, exit code 1', async () => {
  const findings = await runChecks({ REDIS_URL: bad.url, SECRET_KEYS: `a:${KEY},a:${KEY},b:${KEY.slice(0, 10)},${KEY}` });
  expect(levels(findings)).toMatchObject({ keys: 'fix', redis: 'ok', persistence: 'fix', 'maxmemory-policy': 'fix' });
  const { text, code } = report(findings);
  expect(code).toBe(1);
  expect(text).toMatch(/FIX +persistence: neither AOF nor RDB .* appendonly yes/);
  expect(text).toMatch(/FIX +maxmemory-policy: is allkeys-lru: .*noeviction/);
  expect(text).toContain('key id "a" appears twice');
  expect(text).toContain('key "b" must be 32 bytes');
  expect(text).toContain('entry 4 must be <id>:<key>');
  expect(text).toContain('doctor: 3 thing(s) must be fixed');
  // Never the key material itself.
  expect(text).not.toContain(KEY.slice(0, 10));
});

it('RDB snapshots without AOF => a warning, not a failure', async () => {
  const client = toolClient(bad.url);
  await client.config('SET', 'save', '3600 1');
  await client.config('SET', 'maxmemory-policy', 'noeviction');
  try {
    const findings = await runChecks({ REDIS_URL: bad.url, SECRET_KEY: KEY });
    expect(levels(findings)).toMatchObject({ persistence: 'warn', 'maxmemory-policy': 'ok' });
    expect(report(findings).code).toBe(0);
  } finally {
    await client.config('SET', 'save', '');
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    client.disconnect();
  }
});

it('a Redis that does not answer => one FIX naming it, no hang', async () => {
  const port = await freePort();
  const findings = await runChecks({ REDIS_URL: `redis://127.0.0.1:${port}`, SECRET_KEY: KEY });
  expect(findings.filter((f) => f.level === 'fix').map((f) => f.check)).toEqual(['redis']);
  expect(findings.find((f) => f.check === 'redis')?.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\) does not answer \\(.*ECONNREFUSED`));
});

it('no Redis and no key configured => both to fix', async () => {
  expect(levels(await runChecks({}))).toEqual({ keys: 'fix', redis: 'fix' });
});

describe('pure checks', () => {
  it('failover safety: behind Sentinel, primary-only acknowledgements need min-replicas-to-write (or WAIT)', () => {
    expect(checkFailoverSafety(false, 0, 0)).toBeUndefined();
    expect(checkFailoverSafety(true, 0, 0)).toMatchObject({ level: 'warn', message: expect.stringContaining('min-replicas-to-write 1') });
    expect(checkFailoverSafety(true, 0, undefined)?.level).toBe('warn');
    expect(checkFailoverSafety(true, 0, 1)?.level).toBe('ok');
    expect(checkFailoverSafety(true, 1, 0)?.level).toBe('ok');
  });

  it('clock skew beyond the limit => fix, within it => ok', () => {
    expect(checkClock(10_000 + MAX_CLOCK_SKEW_MS + 500, 10_000, 10_000).level).toBe('fix');
    expect(checkClock(10_000 - MAX_CLOCK_SKEW_MS - 500, 10_000, 10_000).message).toMatch(/ahead of Redis/);
    expect(checkClock(10_050, 10_000, 10_100).message).toBe('this machine is 0 ms ahead of Redis');
  });

  it('SECRET_KEY not 32 bytes => fix; well-formed SECRET_KEYS => ok naming the encrypting id', () => {
    expect(checkKeys({ SECRET_KEY: 'abc' })[0]?.level).toBe('fix');
    expect(checkKeys({ SECRET_KEYS: `k2:${KEY}, k1:${randomBytes(32).toString('base64')}` })[0]).toMatchObject({ level: 'ok', message: expect.stringContaining('"k2" encrypts') });
  });
});

it('the CLI: doctor exits 1 when something must be fixed, 2 on extra arguments', async () => {
  const cli = join(ROOT, 'src/runtime/cli/main.ts');
  const env = { PATH: process.env['PATH'] ?? '', REDIS_URL: bad.url, SECRET_KEY: KEY };
  const failed = await run(process.execPath, ['--import', 'tsx', cli, 'doctor'], { cwd: ROOT, env }).then(
    () => undefined,
    (err: { code: number; stdout: string }) => err,
  );
  expect(failed?.code).toBe(1);
  expect(failed?.stdout).toContain('FIX   maxmemory-policy');
  const usage = await run(process.execPath, ['--import', 'tsx', cli, 'doctor', '--now'], { cwd: ROOT, env }).catch((err: { code: number }) => err);
  expect((usage as { code: number }).code).toBe(2);
});

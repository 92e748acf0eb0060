import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/runtime/config';

const specs = [{ name: 'acme', envPrefix: 'ACME', defaultApiUrl: 'https://api.acme.example' }];
const HEX_KEY = 'a'.repeat(64);
const prod = { ACME_CLIENT_ID: 'abc', ADMIN_TOKEN: 'x'.repeat(20), SECRET_KEY: HEX_KEY };

function problems(env: Record<string, string>, mode?: string): string[] {
  try {
    loadConfig(env, specs, mode);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('loadConfig({}) => demo mode with generated secrets and documented defaults', () => {
    const c = loadConfig({}, specs);
    expect(c.demo).toBe(true);
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.keyPrefix).toBe('sm');
    expect(c.mode).toBe('all');
    expect(c.secretKey).toHaveLength(32);
    expect(c.generated).toEqual({ adminToken: true, secretKey: true });
    expect(c.connectors).toEqual({});
  });

  it('loadConfig(credentials) => production mode with the connector enabled and its API URL', () => {
    const c = loadConfig({ ...prod, ACME_API_URL: 'http://127.0.0.1:9999/' }, specs);
    expect(c.demo).toBe(false);
    expect(c.connectors['acme']).toEqual({ clientId: 'abc', clientSecret: undefined, apiUrl: 'http://127.0.0.1:9999' });
  });

  it('loadConfig => default ACME_API_URL is https://api.acme.example', () => {
    expect(loadConfig(prod, specs).connectors['acme']?.apiUrl).toBe('https://api.acme.example');
  });

  it('loadConfig => PUBLIC_URL follows PORT and loses its trailing slash', () => {
    expect(loadConfig({ ...prod, PORT: '8080' }, specs).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ ...prod, PUBLIC_URL: 'https://sm.example.com/' }, specs).publicUrl).toBe('https://sm.example.com');
  });

  it('loadConfig => SECRET_KEY accepted as hex and as base64', () => {
    const b64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ...prod, SECRET_KEY: b64 }, specs).secretKey).toEqual(Buffer.alloc(32, 7));
    expect(loadConfig(prod, specs).secretKey).toEqual(Buffer.from(HEX_KEY, 'hex'));
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://x.example' }, 'PUBLIC_URL'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL'],
    [{ KEY_PREFIX: 'bad prefix!' }, 'KEY_PREFIX'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ SECRET_KEY: 'abcd' }, 'SECRET_KEY'],
    [{ SECRET_KEY: 'g'.repeat(64) }, 'SECRET_KEY'],
    [{ ACME_API_URL: 'nope' }, 'ACME_API_URL'],
    [{ ACME_CLIENT_ID: '' }, 'ACME_CLIENT_ID'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ HTTP_TIMEOUT_MS: '5' }, 'HTTP_TIMEOUT_MS'],
    [{ EVENT_RETENTION: '10' }, 'EVENT_RETENTION'],
    [{ EVENT_RETENTION: 'lots' }, 'EVENT_RETENTION'],
  ])('loadConfig(%o) => ConfigError naming %s', (bad, variable) => {
    const found = problems({ ...prod, ...bad });
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(variable);
  });

  it('loadConfig(several bad variables) => every one named at once', () => {
    const found = problems({ ...prod, PORT: 'abc', SECRET_KEY: 'zz', KEY_PREFIX: '!' }).join('\n');
    expect(found).toContain('PORT');
    expect(found).toContain('SECRET_KEY');
    expect(found).toContain('KEY_PREFIX');
  });

  it('loadConfig(credentials without secrets) => names both ADMIN_TOKEN and SECRET_KEY', () => {
    const found = problems({ ACME_CLIENT_ID: 'abc' });
    expect(found.some((p) => p.startsWith('ADMIN_TOKEN'))).toBe(true);
    expect(found.some((p) => p.startsWith('SECRET_KEY'))).toBe(true);
  });

  it('EVENT_RETENTION => the events the partition streams keep together; 100,000 by default', () => {
    expect(loadConfig(prod, specs).eventRetention).toBe(100_000);
    expect(loadConfig({ ...prod, EVENT_RETENTION: '2500000' }, specs).eventRetention).toBe(2_500_000);
  });

  it('WORKER_CONCURRENCY => the jobs of a kind a worker process runs at once; 16 by default; 0 or a non-number is refused', () => {
    expect(loadConfig(prod, specs).workerConcurrency).toBe(16);
    expect(loadConfig({ ...prod, WORKER_CONCURRENCY: '64' }, specs).workerConcurrency).toBe(64);
    expect(problems({ ...prod, WORKER_CONCURRENCY: '0' }).join()).toContain('WORKER_CONCURRENCY');
    expect(problems({ ...prod, WORKER_CONCURRENCY: 'lots' }).join()).toContain('WORKER_CONCURRENCY');
  });

  it('loadConfig(mode argument) => mode set; an unknown mode is a ConfigError', () => {
    expect(loadConfig(prod, specs, 'work').mode).toBe('work');
    expect(problems(prod, 'fly').join()).toContain('mode');
  });
});

describe('loadConfig: SECRET_KEYS', () => {
  const prodNoKey = { ACME_CLIENT_ID: 'abc', ADMIN_TOKEN: 'x'.repeat(20) };

  it('SECRET_KEYS alone => the first key encrypts and is secretKey; SECRET_KEY alone still works', () => {
    const c = loadConfig({ ...prodNoKey, SECRET_KEYS: `new:${'b'.repeat(64)},old:${HEX_KEY}` }, specs);
    expect(c.secretKeys.ids).toEqual(['new', 'old']);
    expect(c.secretKey).toEqual(Buffer.from('b'.repeat(64), 'hex'));
    expect(c.generated.secretKey).toBe(false);
    expect(loadConfig(prod, specs).secretKeys.ids).toEqual(['legacy']);
  });

  it('a malformed list or a duplicate id => ConfigError naming SECRET_KEYS, with the other problems', () => {
    expect(problems({ ...prodNoKey, SECRET_KEYS: `k1:${HEX_KEY},k1:${'b'.repeat(64)}` }).join('\n')).toContain('SECRET_KEYS: key id "k1" appears twice');
    const found = problems({ ...prodNoKey, PORT: 'abc', SECRET_KEYS: 'k1=abc' }).join('\n');
    expect(found).toContain('PORT');
    expect(found).toContain('SECRET_KEYS: entry 1');
  });

  it('neither SECRET_KEY nor SECRET_KEYS outside the demo => required', () => {
    expect(problems(prodNoKey).some((p) => p.startsWith('SECRET_KEY or SECRET_KEYS: required'))).toBe(true);
  });
});

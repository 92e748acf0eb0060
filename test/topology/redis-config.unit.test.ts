import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/runtime/config';
import { isRedisUnavailable, ReplicasNotConfirmedError } from '../../src/runtime/redis/redis';
import { describeTopology, parseNodeList } from '../../src/runtime/redis/topology';

const specs = [{ name: 'acme', envPrefix: 'ACME', defaultApiUrl: 'https://api.acme.example' }];

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, specs);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('Redis topology from the environment', () => {
  it('nothing set => no topology (the demo fallback decides)', () => {
    expect(loadConfig({}, specs).redisTopology).toBeUndefined();
  });

  it('REDIS_URL with an ACL user and password, or rediss:// => single', () => {
    expect(loadConfig({ REDIS_URL: 'redis://app:s3cret@10.0.0.1:6380/2' }, specs).redisTopology).toEqual({ kind: 'single', url: 'redis://app:s3cret@10.0.0.1:6380/2' });
    expect(loadConfig({ REDIS_URL: 'rediss://cache.example.com:6380' }, specs).redisTopology?.kind).toBe('single');
  });

  it('REDIS_SENTINELS + REDIS_SENTINEL_NAME (+ passwords) => sentinel; the log line names no password', () => {
    const t = loadConfig(
      { REDIS_SENTINELS: 'a:26379, b:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'mymaster', REDIS_SENTINEL_PASSWORD: 'sp', REDIS_USERNAME: 'app', REDIS_PASSWORD: 'dp' },
      specs,
    ).redisTopology;
    expect(t).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 'a', port: 26379 }, { host: 'b', port: 26380 }, { host: '::1', port: 26381 }],
      name: 'mymaster',
      sentinelPassword: 'sp',
      username: 'app',
      password: 'dp',
    });
    expect(describeTopology(t!)).toBe('sentinel mymaster via a:26379,b:26380,::1:26381');
    expect(describeTopology({ kind: 'single', url: 'redis://u:pw@h:1' })).not.toContain('pw');
  });

  it('REDIS_CLUSTER_NODES is accepted and validated (main refuses to run on it: see cluster-refused test)', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' }, specs).redisTopology?.kind).toBe('cluster');
    expect(problems({ REDIS_CLUSTER_NODES: '127.0.0.1' })[0]).toMatch(/^REDIS_CLUSTER_NODES: "127.0.0.1" is not host:port/);
  });

  it('every problem at once, each naming its variable', () => {
    const found = problems({
      REDIS_URL: 'http://x',
      REDIS_SENTINELS: 'a:1,,b:2',
      REDIS_CLUSTER_NODES: 'c:99999',
      PORT: 'abc',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES',
        'REDIS_URL: must be a redis:// or rediss:// URL',
        expect.stringMatching(/^REDIS_SENTINELS: /),
        expect.stringMatching(/^REDIS_SENTINEL_NAME: required/),
        expect.stringMatching(/^REDIS_CLUSTER_NODES: "c:99999"/),
        expect.stringMatching(/^PORT: /),
      ]),
    );
  });

  it.each([
    [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS'],
    [{ REDIS_URL: 'redis://h:1', REDIS_PASSWORD: 'x' }, 'REDIS_USERNAME/REDIS_PASSWORD: not used with REDIS_URL'],
    [{ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'bad name!' }, 'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 'a:1,a:1', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS: lists the same host:port twice'],
    [{ REDIS_ACK_REPLICAS: '-1' }, 'REDIS_ACK_REPLICAS'],
  ])('%j => a problem naming it', (env, expected) => {
    expect(problems(env as Record<string, string>).some((p) => p.startsWith(expected))).toBe(true);
  });

  it('parseNodeList rejects ports out of range and empty entries', () => {
    expect(parseNodeList('h:0')).toHaveProperty('problem');
    expect(parseNodeList('h:1,')).toHaveProperty('problem');
    expect(parseNodeList('h:65535')).toEqual({ nodes: [{ host: 'h', port: 65535 }] });
  });
});

describe('isRedisUnavailable: failover and fail-fast errors are 503s, not 500s', () => {
  it.each([
    "READONLY You can't write against a read only replica.",
    'NOREPLICAS Not enough good replicas to write.',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
    'Connection is closed.',
    "Stream isn't writeable and enableOfflineQueue options is false",
    'All sentinels are unreachable. Retrying from scratch after 200ms.',
    'ERR Error running script (call to f_1): @user_script:1: -READONLY You can\'t write against a read only replica.',
    'LOADING Redis is loading the dataset in memory',
    'Command timed out',
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    // ioredis's Cluster client once its redirections ran out while a dead primary's slots were not yet reassigned.
    'Too many Cluster redirections. Last error: ReplyError: MOVED 7820 127.0.0.1:37993',
  ])('%s => unavailable', (message) => {
    expect(isRedisUnavailable(new Error(message))).toBe(true);
  });

  it('fewer replicas than REDIS_ACK_REPLICAS confirmed => unavailable', () => {
    expect(isRedisUnavailable(new ReplicasNotConfirmedError(2, 1))).toBe(true);
  });

  it.each(['WRONGTYPE Operation against a key holding the wrong kind of value', 'ERR syntax error', 'NOSCRIPT No matching script'])('%s => a bug, not unavailability', (message) => {
    expect(isRedisUnavailable(new Error(message))).toBe(false);
  });
});

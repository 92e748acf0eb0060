import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import { FakeEcobee, type FakeEcobeeOptions } from '../../connectors/ecobee/fake/server';
import type { Config } from '../../src/runtime/config';
import type { Connector } from '../../src/connectors/define-connector';
import { createApp } from '../../src/runtime/http/app';
import type { Services } from '../../src/runtime/services';
import { connectorEnv, type FakeEndpoint } from './child-env';
import { servicesFromEnv } from './services-from-env';
import { toolClient, topologyOf } from './redis-client';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A real host on 127.0.0.1:0 against the test Redis, with its own key prefix. */
export interface HostCore {
  url: string;
  services: Services;
  config: Config;
  /** A second Redis connection for inspecting what the host wrote. */
  inspect: Redis;
  admin(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface TestHost extends HostCore {
  fake: FakeEcobee;
}

export type { FakeEndpoint } from './child-env';

export async function startHostCore(options: {
  /** Connector name → its fake; becomes <NAME>_CLIENT_ID / _CLIENT_SECRET / _API_URL. */
  fakes: Record<string, FakeEndpoint>;
  env?: Record<string, string>;
  now?: () => number;
  /** Connectors from outside connectors/ (a test connector, a scaffold), besides the repository's. */
  connectors?: ReadonlyMap<string, Connector>;
}): Promise<HostCore> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { services, config, close } = await servicesFromEnv(
    {
      PUBLIC_URL: url,
      // The suite's Redis, unless the test names a topology of its own (REDIS_SENTINELS: only one may be set).
      ...(options.env?.['REDIS_SENTINELS'] === undefined && options.env?.['REDIS_CLUSTER_NODES'] === undefined ? { REDIS_URL: inject('redisUrl') } : {}),
      KEY_PREFIX: `test-${randomUUID()}`,
      ADMIN_TOKEN,
      SECRET_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'silent',
      HTTP_TIMEOUT_MS: '2000',
      // Subscription targets in tests are local servers; the guard itself is tested with this off.
      WS_ALLOW_PRIVATE_TARGETS: 'true',
      ...(await connectorEnv(options.fakes)),
      ...options.env,
    },
    { ...(options.now ? { now: options.now } : {}), ...(options.connectors ? { connectors: options.connectors } : {}) },
  );
  const inspect = toolClient(topologyOf(config));
  const app = createApp(services);
  server.on('request', app.callback());
  return {
    url,
    services,
    config,
    inspect,
    admin: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers },
      }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await close();
      if (inspect.status === 'ready') {
        const keys = await inspect.keys(`${config.keyPrefix}:*`);
        if (keys.length) await inspect.del(...keys);
      }
      inspect.disconnect();
    },
  };
}

/** The ecobee connector against its fake cloud, for ecobee's own tests; framework tests use startNeutralHost (neutral-host.ts). */
export async function startTestHost(
  options: { fake?: FakeEcobeeOptions; env?: Record<string, string>; now?: () => number } = {},
): Promise<TestHost> {
  const fake = await FakeEcobee.start(options.fake);
  const core = await startHostCore({
    fakes: { ecobee: fake },
    ...(options.env ? { env: options.env } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    ...core,
    fake,
    async close() {
      await core.close();
      await fake.stop();
    },
  };
}

/** Every key under this host's prefix with its raw value, for "no plaintext token anywhere" checks. */
export async function dumpKeys(host: HostCore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await host.inspect.keys(`${host.config.keyPrefix}:*`)) {
    const type = await host.inspect.type(key);
    if (type === 'string') out.set(key, (await host.inspect.get(key)) ?? '');
    else if (type === 'hash') out.set(key, JSON.stringify(await host.inspect.hgetall(key)));
    else if (type === 'set') out.set(key, JSON.stringify(await host.inspect.smembers(key)));
    else if (type === 'list') out.set(key, JSON.stringify(await host.inspect.lrange(key, 0, -1)));
    else if (type === 'zset') out.set(key, JSON.stringify(await host.inspect.zrange(key, '0', '-1', 'WITHSCORES')));
    else if (type === 'stream') out.set(key, JSON.stringify(await host.inspect.xrange(key, '-', '+')));
    else out.set(key, `<${type}>`);
  }
  return out;
}

/** The operator's sign-in form, as a browser posts it (redirects not followed). */
export function operatorLogin(baseUrl: string, token: string): Promise<Response> {
  return fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ token }).toString(),
  });
}

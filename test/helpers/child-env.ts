/**
 * Environment variables for a child process that must act as part of a running host: the same
 * Redis, key prefix, secret key (so it can read the tokens the host stored) and connector
 * credentials. No vitest import: child scripts and the benchmarks use it too.
 */
import type { Config } from '../../src/runtime/config';
import { connectorDefinitions } from './services-from-env';
import { topologyEnv, topologyOf } from './redis-client';

/** What a fake cloud must tell a host: where it is and the credentials it accepts. */
export interface FakeEndpoint {
  url: string;
  clientId: string;
  clientSecret?: string | undefined;
}

/**
 * Connector name → endpoint, as <PREFIX>_CLIENT_ID / _CLIENT_SECRET / _API_URL. Synchronous for
 * callers that know the prefixes; connectorEnv() reads them from the connector definitions.
 */
export function connectorVars(
  endpoints: Readonly<Record<string, FakeEndpoint | undefined>>,
  prefixOf: (name: string) => string = (name) => name.toUpperCase(),
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, endpoint] of Object.entries(endpoints)) {
    if (!endpoint) continue;
    const prefix = prefixOf(name);
    env[`${prefix}_CLIENT_ID`] = endpoint.clientId;
    env[`${prefix}_API_URL`] = endpoint.url;
    if (endpoint.clientSecret) env[`${prefix}_CLIENT_SECRET`] = endpoint.clientSecret;
  }
  return env;
}

export async function connectorEnv(endpoints: Readonly<Record<string, FakeEndpoint | undefined>>): Promise<Record<string, string>> {
  const defs = await connectorDefinitions();
  return connectorVars(endpoints, (name) => defs.get(name)?.envPrefix ?? name.toUpperCase().replace(/-/g, '_'));
}

/**
 * The environment for a child process sharing `config`'s host. Only PATH and HOME come from this
 * process, so nothing from the test runner's environment leaks in. `extra` adds or overrides.
 */
export async function childEnv(config: Config, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const connectors = Object.fromEntries(
    Object.entries(config.connectors).map(([name, c]) => [name, { url: c.apiUrl, clientId: c.clientId, clientSecret: c.clientSecret }]),
  );
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    ...topologyEnv(topologyOf(config)),
    KEY_PREFIX: config.keyPrefix,
    ADMIN_TOKEN: config.adminToken,
    SECRET_KEY: config.secretKey.toString('hex'),
    PUBLIC_URL: config.publicUrl,
    HTTP_TIMEOUT_MS: String(config.httpTimeoutMs),
    LOG_LEVEL: 'silent',
    DEMO: 'false',
    ...(config.pollIntervalS !== undefined ? { POLL_INTERVAL_S: String(config.pollIntervalS) } : {}),
    ...(await connectorEnv(connectors)),
    ...extra,
  };
}

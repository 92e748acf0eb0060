/**
 * A host process that only serves HTTP (no workers), for the crash test: it acknowledges
 * callbacks and is then killed with SIGKILL. Prints its URL once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/config';
import { loadConnectors } from '../../src/connectors/registry';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/logging/logger';
import { buildServices, enableConnectors } from '../../src/runtime/build-services';
import { createRedis } from '../../src/store/redis';

const definitions = await loadConnectors();
const config = loadConfig(
  process.env,
  [...definitions.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })),
);
const redis = createRedis(config.redisUrl ?? '');
const services = buildServices({
  config,
  log: createLogger('silent'),
  redis,
  redisUrl: config.redisUrl ?? '',
  connectors: enableConnectors(definitions, config),
});
await redis.ping();
const server = createServer(createApp(services).callback());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);

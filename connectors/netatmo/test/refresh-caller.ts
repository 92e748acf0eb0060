/**
 * A separate Node process that makes N concurrent Netatmo calls (homesdata) for one installation
 * through the real authorized client, to prove that rotating refresh tokens are refreshed once
 * across processes. Same protocol as test/helpers/refresh-caller.ts (the ecobee one): prints
 * "ready", waits for a line on stdin, fires, prints one JSON line with the results.
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '../../../src/config/config';
import { loadConnectors } from '../../../src/connectors/registry';
import { createLogger } from '../../../src/logging/logger';
import { buildServices, enableConnectors } from '../../../src/runtime/build-services';
import { createRedis } from '../../../src/store/redis';

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
const installationId = process.env['INSTALLATION_ID'] ?? '';
const n = Number(process.env['CALLS'] ?? '25');
const connector = services.connectors.get('netatmo');
if (!connector) throw new Error('netatmo not enabled');
const http = services.clients.for(installationId, connector);

await redis.ping();
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => rl.once('line', () => resolve()));

const results = await Promise.allSettled(Array.from({ length: n }, () => http.request({ method: 'GET', path: '/api/homesdata' })));
const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
process.stdout.write(`${JSON.stringify({ ok, failed: n - ok, errors: errors.slice(0, 3) })}\n`);
rl.close();
await services.scheduler.close();
await services.webhooks.close();
redis.disconnect();
process.exit(0);

/**
 * A worker process for fault tests: the real BullMQ workers of src/runtime/workers.ts, built from
 * the same environment variables as `npm start -- work`, plus the stall-recovery timings a test
 * needs (WORKER_LOCK_MS, WORKER_STALLED_MS). Prints "workers ready" once started. Run with tsx;
 * tests start it with spawnWorkerProcess() and may SIGKILL it at any moment.
 */
import { loadConfig } from '../../src/config/config';
import { loadConnectors } from '../../src/connectors/registry';
import { createLogger } from '../../src/logging/logger';
import { buildServices, enableConnectors } from '../../src/runtime/build-services';
import { startWorkers } from '../../src/runtime/workers';
import { createRedis } from '../../src/store/redis';

const definitions = await loadConnectors();
const config = loadConfig(
  process.env,
  [...definitions.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })),
  'work',
);
const log = createLogger(config.logLevel);
const redis = createRedis(config.redisUrl ?? '');
redis.on('error', () => undefined);
const services = buildServices({ config, log, redis, redisUrl: config.redisUrl ?? '', connectors: enableConnectors(definitions, config) });
const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const lockDurationMs = number('WORKER_LOCK_MS');
const stalledIntervalMs = number('WORKER_STALLED_MS');
const workers = startWorkers(services, {
  concurrency: number('WORKER_CONCURRENCY') ?? 8,
  ...(lockDurationMs !== undefined ? { lockDurationMs } : {}),
  ...(stalledIntervalMs !== undefined ? { stalledIntervalMs } : {}),
});
process.stdout.write('workers ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await workers.close();
    await Promise.all([services.scheduler.close(), services.webhooks.close()]);
    services.missedDeliveries.close();
    redis.disconnect();
    process.exit(0);
  })();
});

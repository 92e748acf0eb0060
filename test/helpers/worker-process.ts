/**
 * A worker process for fault tests: the real BullMQ workers of src/runtime/workers.ts, built from
 * the same environment variables as `npm start -- work`, plus the stall-recovery timings a test
 * needs (WORKER_LOCK_MS, WORKER_STALLED_MS). Prints "workers ready" once started. Run with tsx;
 * tests start it with spawnWorkerProcess() and may SIGKILL it at any moment.
 */
import { createLogger } from '../../src/runtime/logging/logger';
import { startWorkers } from '../../src/runtime/workers';
import { neutralConnectors } from './neutral-connectors';
import { servicesFromEnv } from './services-from-env';

// The neutral test connector too: enabled only when the environment names it (ACME_CLIENT_ID).
const built = await servicesFromEnv(process.env, { mode: 'work', log: (config) => createLogger(config.logLevel), connectors: await neutralConnectors() });
const { services } = built;
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
    await built.close();
    process.exit(0);
  })();
});

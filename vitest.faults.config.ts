import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: fault tests whose outcome depends on when a kill or an outage lands
 * (worker SIGKILL, Redis restart under load). Deterministic fault tests stay in the main suite.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.test.ts'],
    globalSetup: ['test/setup/redis.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One at a time: each starts processes and Redis servers of its own, and they compete for CPU.
    fileParallelism: false,
  },
});

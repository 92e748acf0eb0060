import type { TestProject } from 'vitest/node';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * vitest globalSetup: REDIS_URL when given (a server we must not flush: every test file uses its
 * own random key prefix), otherwise a private redis-server on a free port with persistence off.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env['REDIS_URL'];
  if (given) {
    project.provide('redisUrl', given);
    return async () => undefined;
  }
  const redis = await startPrivateRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}

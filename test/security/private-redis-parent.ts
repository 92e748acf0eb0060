/**
 * Child script for shutdown.integration.test.ts: starts a private redis-server as the demo does
 * (resolveRedis with nothing on the default port ends in startPrivateRedis), prints its pid, then
 * exits the way it is told on stdin, without running any cleanup of its own.
 */
import { createInterface } from 'node:readline';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';

const redis = await startPrivateRedis();
process.stdout.write(`redis-server ${redis.process.pid ?? 0}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'exit') process.exit(1);
  if (line === 'throw') throw new Error('fatal, on purpose');
});

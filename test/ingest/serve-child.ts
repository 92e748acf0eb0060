/**
 * A host process that only serves HTTP (no workers), for the crash test: it acknowledges
 * callbacks and is then killed with SIGKILL. Prints its URL once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/runtime/http/app';
import { servicesFromEnv } from '../helpers/services-from-env';

const { services, redis } = await servicesFromEnv(process.env);
await redis.ping();
const server = createServer(createApp(services).callback());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);

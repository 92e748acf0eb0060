/**
 * A separate Node process that makes CALLS concurrent cloud calls (REQUEST, a JSON CloudRequest)
 * for one installation of CONNECTOR through the real authorized client. Used to prove refresh
 * single-flight across processes. Protocol: prints "ready", waits for a line on stdin, fires,
 * prints one JSON line with the results. Start it with startRefreshCallers().
 */
import { createInterface } from 'node:readline';
import type { CloudRequest } from '../../src/connectors/cloud-types';
import { neutralConnectors } from './neutral-connectors';
import { servicesFromEnv } from './services-from-env';

// The neutral connector too: it is enabled only when the environment names it (ACME_CLIENT_ID).
const built = await servicesFromEnv(process.env, { connectors: await neutralConnectors() });
const { services } = built;
const installationId = process.env['INSTALLATION_ID'] ?? '';
const n = Number(process.env['CALLS'] ?? '25');
const request = JSON.parse(process.env['REQUEST'] ?? '{}') as CloudRequest;
const name = process.env['CONNECTOR'] ?? '';
const connector = services.connectors.get(name);
if (!connector) throw new Error(`${name} not enabled`);
const http = services.clients.for(installationId, connector);

await built.redis.ping();
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => rl.once('line', () => resolve()));

const results = await Promise.allSettled(Array.from({ length: n }, () => http.request(request)));
const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
process.stdout.write(`${JSON.stringify({ ok, failed: n - ok, errors: errors.slice(0, 3) })}\n`);
rl.close();
await built.close();
process.exit(0);

import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { ADMIN_TOKEN, dumpKeys, startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import { NEUTRAL_CONNECTOR, neutralConnectors } from '../helpers/neutral-host';
import { RAW_REQUESTS, requestArbitrary, type FuzzRequest, type FuzzTargets } from './requests';

/**
 * Thousands of malformed requests at every public endpoint of a real host with two linked
 * installations → no 5xx, no stack trace, errors in the documented shape, no crash, and not one
 * Redis key or value changed. The request list is generated from a fixed seed (FUZZ_SEED to vary
 * it, FUZZ_RUNS to make it longer), so a failure replays exactly.
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_123);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 5_000);
const STACK = /\n\s+at .+:\d+:\d+|node_modules|\/src\/[a-z/-]+\.ts/;

let acme: FakeAcme;
let netatmo: FakeNetatmo;
let host: HostCore;
let workers: RunningWorkers | undefined;
let targets: FuzzTargets;

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function send(base: string, r: FuzzRequest): Promise<Answer | 'closed'> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', () => resolve('closed'));
      },
    );
    // A host may answer 413 and close before a huge body is fully written: that is a refusal, not a crash.
    req.on('error', (err: NodeJS.ErrnoException) => (['ECONNRESET', 'EPIPE'].includes(err.code ?? '') ? resolve('closed') : reject(err)));
    req.end(r.body);
  });
}

function sendRaw(base: string, raw: string): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(raw, 'latin1');
    // Half-close so a request waiting for more body bytes is answered or dropped, never left hanging.
    socket.end();
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

beforeAll(async () => {
  acme = await FakeAcme.start();
  netatmo = await startNetatmoKitFake();
  host = await startHostCore({ fakes: { [NEUTRAL_CONNECTOR]: acme, netatmo }, connectors: await neutralConnectors() });
  workers = startWorkers(host.services, { concurrency: 4 });
  const linked: Array<FuzzTargets['installations'][number]> = [];
  for (const [connector, fake] of [[NEUTRAL_CONNECTOR, acme], ['netatmo', netatmo]] as const) {
    const inst = await link({ ...host, fake }, undefined, connector);
    const discovered = (await (await host.admin(`/api/installations/${inst.id}/discovered`)).json()) as Array<{ externalId: string }>;
    const put = await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: discovered.map((d) => d.externalId) }) });
    expect(put.status).toBe(200);
    const devices = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: Array<{ id: string }> }).items;
    const callback = connector === 'netatmo' ? await eventually(async () => netatmo.webhookUrl(), 'the netatmo webhook registration') : undefined;
    linked.push({
      id: inst.id,
      connector,
      accessToken: inst.accessToken,
      callbackToken: callback ? (new URL(callback).searchParams.get('access_token') ?? undefined) : undefined,
      deviceId: devices[0]?.id,
    });
  }
  // Let the linking work settle, then stop the workers: from here on only requests could write.
  await eventually(async () => {
    const counts = await host.services.webhooks.queue.getJobCounts('waiting', 'active');
    const polls = await host.services.scheduler.queue.getJobCounts('waiting', 'active');
    return counts['waiting'] === 0 && counts['active'] === 0 && polls['waiting'] === 0 && polls['active'] === 0;
  }, 'the queues to drain', 30_000);
  await workers.close();
  workers = undefined;
  targets = { adminToken: ADMIN_TOKEN, installations: linked };
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await workers?.close();
  await host?.close();
  await Promise.all([acme?.stop(), netatmo?.stop()]);
});

describe('fuzz: malformed requests to every public endpoint', () => {
  it(`${RUNS} generated malformed requests (seed ${SEED}) => no 5xx, no stack trace, JSON errors in shape, no Redis change, host still serves`, async () => {
    expect(targets.installations.map((i) => i.callbackToken !== undefined)).toEqual([false, true]);
    const before = await dumpKeys(host);
    expect(await dumpKeys(host)).toEqual(before); // nothing moves on its own

    const requests = fc.sample(requestArbitrary(targets), { numRuns: RUNS, seed: SEED });
    const problems: string[] = [];
    const statuses = new Map<number | 'closed', number>();
    const labels = new Map<string, number>();
    let next = 0;
    const workerLoop = async () => {
      while (next < requests.length) {
        const r = requests[next++];
        if (!r) break;
        labels.set(r.label, (labels.get(r.label) ?? 0) + 1);
        const answer = await send(host.url, r);
        const key = answer === 'closed' ? 'closed' : answer.status;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (answer === 'closed') continue;
        const what = `${r.label}: ${r.method} ${r.path.slice(0, 160)} → ${answer.status}`;
        if (answer.status >= 500) problems.push(`${what} ${answer.body.slice(0, 200)}`);
        if (answer.status >= 200 && answer.status < 300 && r.method === 'POST' && r.label.startsWith('webhook')) problems.push(`${what}: a malformed callback was accepted`);
        if (STACK.test(answer.body) && !r.path.startsWith('/admin/queues/static')) problems.push(`${what}: body shows a stack or source path`);
        if (answer.status >= 400 && r.method !== 'HEAD' && answer.contentType.startsWith('application/json')) {
          try {
            const body = JSON.parse(answer.body) as { error?: unknown; message?: unknown };
            if (typeof body.error !== 'string' || typeof body.message !== 'string') problems.push(`${what}: error body ${answer.body.slice(0, 120)}`);
          } catch {
            problems.push(`${what}: unparseable JSON error body`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, workerLoop));

    const rawAnswers = await Promise.all(RAW_REQUESTS.map((raw) => sendRaw(host.url, raw)));
    rawAnswers.forEach((answer, i) => {
      if (/^HTTP\/1\.1 5/.test(answer)) problems.push(`raw #${i}: ${answer.slice(0, 120)}`);
    });

    expect(problems).toEqual([]);
    expect([...statuses.keys()].filter((s) => s !== 'closed' && s >= 500)).toEqual([]);
    expect(statuses.get(401)).toBeGreaterThan(RUNS / 10); // the generator reaches the auth checks…
    expect((statuses.get(400) ?? 0) + (statuses.get(413) ?? 0) + (statuses.get(415) ?? 0)).toBeGreaterThan(RUNS / 20); // …and the body checks
    expect(labels.get('webhook real token')).toBeGreaterThan(RUNS / 20);
    expect(labels.get('api admin')).toBeGreaterThan(RUNS / 20);

    // Failed sign-in counters are the one state that bad input is meant to change (rate limiting);
    // the clouds' budgets count the cloud calls that authenticated reads (e.g. /discovered) make.
    const tracked = (k: string) => !k.includes(':login-failures:') && !/:rate:\d+$/.test(k);
    const after = new Map([...(await dumpKeys(host))].filter(([k]) => tracked(k)));
    expect([...after.keys()].filter((k) => !before.has(k))).toEqual([]);
    expect([...before.keys()].filter((k) => tracked(k) && after.get(k) !== before.get(k))).toEqual([]);

    // Still alive and still correct for a well-formed request.
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
    const list = await host.admin('/api/installations');
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items.length).toBe(2);
    // eslint-disable-next-line no-console
    console.info(`fuzz: ${requests.length} requests + ${RAW_REQUESTS.length} raw; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 300_000);
});

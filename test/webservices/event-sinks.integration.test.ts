import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { eventSinkCreatedSchema, eventSinkDetailSchema, eventSinkListSchema } from '../../src/operator/api/event-sinks';
import { dumpKeys } from '../helpers/host';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { eventually, link } from '../helpers/link';
import { keyNames } from '../helpers/key-names';
import { eventCursorCovers } from '../../src/platform/event-cursor';

/**
 * Event sinks end to end: the admin API, the fan-out from the event stream, real BullMQ workers and
 * a real HTTP sink on 127.0.0.1 that can answer 500, hang, or take events. Every wait is on a
 * condition, never a sleep.
 */

interface Hit {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  status: number | 'hang';
}

class Sink {
  readonly hits: Hit[] = [];
  /** How to answer the next POSTs (then `fallback`). */
  script: (number | 'hang')[] = [];
  fallback: number | 'hang' = 200;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Sink> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sink = new Sink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = sink.script.shift() ?? sink.fallback;
        const raw = Buffer.concat(chunks).toString('utf8');
        sink.hits.push({ headers: req.headers, raw, body: JSON.parse(raw) as Hit['body'], status });
        if (status !== 'hang') res.writeHead(status).end();
      });
    });
    return sink;
  }

  /** Events taken (2xx), in arrival order. */
  delivered(): Hit[] {
    return this.hits.filter((h) => typeof h.status === 'number' && h.status < 300);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let host: NeutralHost;
let workers: RunningWorkers | undefined;
let sink: Sink;

async function start(env: Record<string, string> = {}): Promise<void> {
  host = await startNeutralHost({ env: { SINK_DELIVERY_ATTEMPTS: '3', SINK_DELIVERY_BACKOFF_MS: '20', ...env } });
  workers = startWorkers(host.services, { concurrency: 4 });
  sink = await Sink.start();
}
afterEach(async () => {
  await workers?.close();
  workers = undefined;
  await host.close();
  await sink.close();
});

interface Created {
  id: string;
  url: string;
  types: string[] | null;
  connectors: string[] | null;
  secret: string;
  createdAt: string;
}
interface Detail {
  id: string;
  delivered: number;
  failed: number;
  deadLettered: number;
  lastError: { message: string; at: string } | null;
}

async function createSink(body: Record<string, unknown>): Promise<Created> {
  const res = await host.admin('/api/event-sinks', { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}
const detail = async (id: string) => (await (await host.admin(`/api/event-sinks/${id}`)).json()) as Detail;

/** The fan-out starts from the stream's end on its first run: wait until it has, so later events count. */
async function fanoutReady(): Promise<void> {
  await eventually(async () => (await host.services.webServices.sinkDrains.cursor()) !== undefined, 'sink fan-out started');
}

async function appendEvents(installationId: string, n: number, connector: string = NEUTRAL_CONNECTOR): Promise<void> {
  for (let i = 0; i < n; i++) {
    await host.services.events.append([{ type: 'device.stateChanged', installationId, deviceId: `dev-${i}`, data: { seq: i, connector } }]);
  }
}

describe('event sinks: admin API', () => {
  beforeEach(() => start());

  it('create => 201 with a whsec_ secret shown once; list and one with counters; secret sealed at rest; delete => 204 then 404', async () => {
    const created = await createSink({ url: sink.url, types: ['device.added', 'installation.linked'], connectors: [NEUTRAL_CONNECTOR] });
    expect(created).toMatchObject({ url: sink.url, types: ['device.added', 'installation.linked'], connectors: [NEUTRAL_CONNECTOR] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Date.parse(created.createdAt)).toBeGreaterThan(0);

    const list = (await (await host.admin('/api/event-sinks')).json()) as Record<string, unknown>[];
    expect(list).toEqual([{ id: created.id, url: sink.url, types: created.types, connectors: created.connectors, createdAt: created.createdAt }]);
    const one = await host.admin(`/api/event-sinks/${created.id}`);
    const text = await one.text();
    expect(JSON.parse(text)).toMatchObject({ id: created.id, delivered: 0, failed: 0, deadLettered: 0, lastError: null });
    // The answers match the exported schemas the OpenAPI document is generated from (strictly: no extra fields).
    expect(eventSinkCreatedSchema.strict().parse(created)).toEqual(created);
    expect(eventSinkDetailSchema.strict().parse(JSON.parse(text))).toEqual(JSON.parse(text));
    expect(eventSinkListSchema.parse(list)).toEqual(list);
    expect(text).not.toContain(created.secret.slice(6));
    for (const [key, value] of await dumpKeys(host)) expect(value, key).not.toContain(created.secret.slice(6));

    const all = await createSink({ url: sink.url });
    expect(all).toMatchObject({ types: null, connectors: null });

    expect((await host.admin(`/api/event-sinks/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await host.admin(`/api/event-sinks/${created.id}`)).status).toBe(404);
    expect((await host.admin(`/api/event-sinks/${created.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await host.admin('/api/event-sinks/not-a-uuid')).status).toBe(404);
  });

  it.each([
    ['no url', {}],
    ['not a URL', { url: 'nope' }],
    ['ftp', { url: 'ftp://example.com/x' }],
    ['credentials in the URL', { url: 'https://u:p@example.com/x' }],
    ['unknown event type', { url: 'https://example.com/x', types: ['device.exploded'] }],
    ['empty types', { url: 'https://example.com/x', types: [] }],
    ['connector not enabled', { url: 'https://example.com/x', connectors: ['nest'] }],
    ['unknown field', { url: 'https://example.com/x', secret: 'mine' }],
    ['not an object', ['https://example.com/x']],
  ])('bad input (%s) => 400 JSON, nothing stored', async (_name, body) => {
    const res = await host.admin('/api/event-sinks', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'bad_request' });
    expect(await host.services.webServices.sinks.list()).toEqual([]);
  });

  it('without the admin token => 401', async () => {
    const res = await fetch(`${host.url}/api/event-sinks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: sink.url }) });
    expect(res.status).toBe(401);
  });
});

describe('event sinks: SSRF guard when private targets are not allowed', () => {
  beforeEach(() => start({ WS_ALLOW_PRIVATE_TARGETS: 'false' }));

  it('http, loopback and private addresses => 400', async () => {
    for (const url of ['http://example.com/x', 'https://127.0.0.1/x', 'https://10.0.0.1/x', 'https://[::1]/x', 'https://169.254.169.254/latest']) {
      const res = await host.admin('/api/event-sinks', { method: 'POST', body: JSON.stringify({ url }) });
      expect(res.status, url).toBe(400);
    }
  });
});

describe('event sinks: delivery', () => {
  beforeEach(() => start());

  it('installation and device events arrive signed by Standard Webhooks (verified with the reference library)', async () => {
    const created = await createSink({ url: sink.url });
    await fanoutReady();
    const inst = await link({ ...host, fake: host.fake }, undefined, NEUTRAL_CONNECTOR);
    const ids = host.fake.deviceIds();
    await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ids }) });
    await eventually(async () => sink.delivered().filter((h) => h.body.type === 'device.added').length === ids.length, 'device.added delivered');

    const verifier = new Webhook(created.secret);
    for (const hit of sink.delivered()) {
      expect(() => verifier.verify(hit.raw, hit.headers as Record<string, string>)).not.toThrow();
      expect(hit.headers['webhook-id']).toMatch(/^msg_\d+_\d+_\d+$/);
      expect(hit.headers['content-type']).toBe('application/json');
      expect(hit.body.data['installationId']).toBe(inst.id);
      expect(Date.parse(hit.body.timestamp)).toBeGreaterThan(0);
    }
    expect(sink.delivered()[0]?.body).toMatchObject({ type: 'installation.linked', data: { installationId: inst.id, connector: NEUTRAL_CONNECTOR } });
    // A tampered body, or another secret, does not verify.
    const first = sink.delivered()[0] as Hit;
    expect(() => verifier.verify(first.raw.replace('linked', 'unlinked'), first.headers as Record<string, string>)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(first.raw, first.headers as Record<string, string>)).toThrow();

    const stats = await detail(created.id);
    expect(stats).toMatchObject({ delivered: sink.delivered().length, failed: 0, deadLettered: 0 });
  });

  it('sink answers 500 then 200 => each event delivered once after a retry, in order', async () => {
    const created = await createSink({ url: sink.url });
    await fanoutReady();
    sink.script = [500];
    await appendEvents('inst-a', 5);
    await eventually(async () => sink.delivered().length === 5, 'five events delivered');
    expect(sink.hits[0]?.status).toBe(500);
    expect(sink.hits[1]?.headers['webhook-id']).toBe(sink.hits[0]?.headers['webhook-id']); // the same message, retried
    expect(sink.delivered().map((h) => h.body.data['seq'])).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(sink.delivered().map((h) => h.headers['webhook-id'])).size).toBe(5);
    expect(await detail(created.id)).toMatchObject({ delivered: 5, failed: 1, deadLettered: 0, lastError: { message: 'answered HTTP 500' } });
  });

  it('events of one installation stay in order while another installation\'s chain is failing', async () => {
    await createSink({ url: sink.url });
    await fanoutReady();
    await appendEvents('inst-a', 3);
    await appendEvents('inst-b', 3);
    await eventually(async () => sink.delivered().length === 6, 'six events delivered');
    for (const inst of ['inst-a', 'inst-b']) {
      expect(sink.delivered().filter((h) => h.body.data['installationId'] === inst).map((h) => h.body.data['seq'])).toEqual([0, 1, 2]);
    }
  });

  it('sink never answers => each attempt times out, retries, the event is dead-lettered; the chain goes on once it answers', async () => {
    await workers?.close();
    await host.close();
    await sink.close();
    await start({ HTTP_TIMEOUT_MS: '300' });
    const created = await createSink({ url: sink.url });
    await fanoutReady();
    sink.fallback = 'hang';
    await appendEvents('inst-a', 1);
    const dead = await eventually(async () => {
      const d = await detail(created.id);
      return d.deadLettered === 1 ? d : undefined;
    }, 'the event to be dead-lettered');
    expect(dead).toMatchObject({ delivered: 0, failed: 3, lastError: { message: 'no answer (unreachable, refused or timed out)' } });
    expect(sink.hits).toHaveLength(3);
    const letters = (await (await host.admin(`/api/event-sinks/${created.id}/dead-letters`)).json()) as { id: string; body: { data: { seq: number } } }[];
    expect(letters).toHaveLength(1);
    expect(letters[0]?.body.data.seq).toBe(0);
    expect(letters[0]?.id).toBe(sink.hits[0]?.headers['webhook-id']);

    sink.fallback = 200;
    await appendEvents('inst-a', 2);
    await eventually(async () => sink.delivered().length === 2, 'later events delivered');
    expect(sink.delivered().map((h) => h.body.data['seq'])).toEqual([0, 1]);
  });

  it('filters by type and by connector', async () => {
    const linkedOnly = await Sink.start();
    const otherConnector = await Sink.start();
    try {
      await createSink({ url: linkedOnly.url, types: ['installation.linked'] });
      await createSink({ url: otherConnector.url, connectors: [NEUTRAL_CONNECTOR], types: ['device.stateChanged'] });
      await createSink({ url: sink.url }); // everything: the witness that routing went past the other events
      await fanoutReady();
      const inst = await link({ ...host, fake: host.fake }, undefined, NEUTRAL_CONNECTOR);
      await appendEvents(inst.id, 1, NEUTRAL_CONNECTOR);
      await host.services.events.append([{ type: 'device.stateChanged', installationId: 'elsewhere', deviceId: 'd', data: { connector: 'netatmo' } }]);
      await eventually(async () => sink.delivered().some((h) => h.body.data['installationId'] === 'elsewhere'), 'witness got the last event');
      await eventually(async () => linkedOnly.delivered().length === 1 && otherConnector.delivered().length === 1, 'filtered sinks');
      expect(linkedOnly.delivered().map((h) => h.body.type)).toEqual(['installation.linked']);
      expect(otherConnector.delivered().map((h) => h.body.data['installationId'])).toEqual([inst.id]);
    } finally {
      await linkedOnly.close();
      await otherConnector.close();
    }
  });

  it('uninstall: a sink filtered by connector gets the device removals and the uninstall, after the installation is gone', async () => {
    await createSink({ url: sink.url, connectors: [NEUTRAL_CONNECTOR], types: ['device.removed', 'installation.uninstalled'] });
    await fanoutReady();
    const inst = await link({ ...host, fake: host.fake }, undefined, NEUTRAL_CONNECTOR);
    const ids = host.fake.deviceIds();
    await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: ids }) });
    await eventually(
      async () => {
        const [cursor, last] = await Promise.all([host.services.webServices.sinkDrains.cursor(), host.services.events.lastGlobalCursor()]);
        return cursor !== undefined && last !== undefined && eventCursorCovers(cursor, last, host.services.keys.partitions.count);
      },
      'fan-out caught up',
    );
    // A fresh worker routes the removals: it never saw the installation, which is gone by then.
    await workers?.close();
    expect((await host.admin(`/api/installations/${inst.id}`, { method: 'DELETE' })).status).toBe(204);
    workers = startWorkers(host.services, { concurrency: 4 });
    await eventually(async () => sink.delivered().some((h) => h.body.type === 'installation.uninstalled'), 'uninstall delivered');
    const types = sink.delivered().map((h) => h.body.type);
    expect(types).toEqual([...ids.map(() => 'device.removed'), 'installation.uninstalled']);
    expect(sink.delivered().every((h) => h.body.data['installationId'] === inst.id && h.body.data['connector'] === NEUTRAL_CONNECTOR)).toBe(true);
    // No key names the uninstalled installation, its pending deliveries included.
    expect(await host.inspect.keys(`${host.services.keys.prefix}:*${inst.id}*`)).toEqual([]);
  });

  it('delete stops delivery: queued events are dropped, later ones are not routed', async () => {
    const doomed = await createSink({ url: sink.url });
    const witness = await Sink.start();
    try {
      await createSink({ url: witness.url });
      await fanoutReady();
      sink.fallback = 500;
      await appendEvents('inst-a', 1);
      await eventually(async () => sink.hits.length >= 1, 'first attempt at the doomed sink');
      expect((await host.admin(`/api/event-sinks/${doomed.id}`, { method: 'DELETE' })).status).toBe(204);
      sink.fallback = 200;
      await appendEvents('inst-a', 2);
      await eventually(async () => witness.delivered().length === 3, 'witness got all three');
      // The doomed sink's retry (if one was due) found the sink gone: nothing was ever taken there.
      await eventually(
        async () => (await host.services.webServices.sinkDeliveries.queue.getJobCounts('active', 'waiting', 'delayed'))['delayed'] === 0,
        'no retry pending',
      );
      expect(sink.delivered()).toEqual([]);
    } finally {
      await witness.close();
    }
  });

  it('deliveries survive a restart of the workers', async () => {
    const created = await createSink({ url: sink.url });
    await fanoutReady();
    sink.fallback = 503;
    await appendEvents('inst-a', 2);
    await eventually(async () => (await detail(created.id)).failed >= 1, 'a failed attempt');
    await workers?.close();
    sink.fallback = 200;
    workers = startWorkers(host.services, { concurrency: 4 });
    await eventually(async () => sink.delivered().length === 2, 'both delivered after the restart');
    expect(sink.delivered().map((h) => h.body.data['seq'])).toEqual([0, 1]);
  });
});

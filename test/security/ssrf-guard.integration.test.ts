import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/link';
import { postSigned } from '../../src/webservices/delivery-worker';
import { subscribe } from '../../src/webservices/lifecycle';
import { authorizeAndExchange, bearer, ExternalSystem, startWorld, type World } from '../webservices/harness';

/**
 * Issue 14, item 7: with WS_ALLOW_PRIVATE_TARGETS off, no IPv6 spelling of a private IPv4 gets a
 * subscription made, and a name that points inside at delivery time gets nothing sent to it.
 */
describe('SSRF guard on subscription targets (WS_ALLOW_PRIVATE_TARGETS=false)', () => {
  let w: World;
  let api: ReturnType<typeof bearer>;
  let uri: string;
  let appId: string;
  let port: string;
  beforeAll(async () => {
    w = await startWorld({ env: { WS_ALLOW_PRIVATE_TARGETS: 'false' } });
    const { tokens } = await authorizeAndExchange(w, [w.devices.get('dev-1') ?? '']);
    api = bearer(w, tokens.access_token);
    const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string; url: string }[];
    uri = ep?.uri ?? '';
    appId = ep?.url.split('/').at(-1) ?? '';
    port = new URL(w.sys.hookUrl).port;
  });
  afterAll(async () => {
    await w.close();
  });

  it('IPv6 forms of loopback, private and metadata addresses => 400 JSON naming targetUrl; nothing subscribed, nothing sent', async () => {
    const targets = [
      `http://[64:ff9b::7f00:1]:${port}/hook`, // NAT64 of 127.0.0.1
      `http://[::ffff:127.0.0.1]:${port}/hook`, // IPv4-mapped (reaches 127.0.0.1 on a dual-stack socket)
      `http://[::127.0.0.1]:${port}/hook`, // IPv4-compatible
      `http://[::ffff:0:127.0.0.1]:${port}/hook`, // RFC 2765 translated
      `http://[64:ff9b:1::a9fe:a9fe]/latest/meta-data/`, // NAT64 local-use of 169.254.169.254
      `http://[2002:7f00:1::1]:${port}/hook`, // 6to4 of 127.0.0.1
      `http://[2001:0:808:808::80ff:fffe]:${port}/hook`, // Teredo, client 127.0.0.1
      `http://[fec0::1]:${port}/hook`, // site-local
      `http://[fe80::1%25eth0]:${port}/hook`, // link-local with a zone (refused by the URL parser or the guard)
      `http://2130706433:${port}/hook`, // 127.0.0.1 as one number, canonicalised by the URL parser
      `http://0x7f.1:${port}/hook`,
    ];
    for (const targetUrl of targets) {
      const res = await api(`${uri}/subscriptions`, { method: 'POST', body: JSON.stringify({ targetUrl, events: ['device.stateChanged'] }) });
      expect(res.status, targetUrl).toBe(400);
      expect(res.headers.get('content-type'), targetUrl).toMatch(/application\/json/);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error, targetUrl).toBe('bad_request');
      expect(body.message, targetUrl).toMatch(/targetUrl/);
      expect(body.message, targetUrl).not.toMatch(/\n\s+at /); // no stack
    }
    expect(await (await api(`${uri}/subscriptions`)).json()).toEqual([]);
    expect(w.sys.received).toEqual([]);
  });

  it('a name that resolves to loopback at delivery time (as after DNS rebinding) => nothing is sent to it', async () => {
    // The route refuses `localhost` when the subscription is made, so stand in for "it resolved to a
    // public address then": create it below the route. The worker must still refuse at connect time.
    const app = await w.host.services.webServices.apps.get(appId);
    if (!app) throw new Error('app installation missing');
    const { subscription } = await subscribe(w.host.services, app, { targetUrl: `http://localhost:${port}/hook`, events: ['device.stateChanged'] });
    expect(subscription.status).toBe('pending');
    const queue = w.host.services.webServices.deliveries.queue;
    // The CONFIRMATION job spends all its attempts and fails; none of them reached the target.
    const job = await eventually(
      async () => (await queue.getJobs(['failed'])).find((j) => j.data.subscriptionId === subscription.id),
      'the CONFIRMATION job to give up',
      20_000,
    );
    expect(job.attemptsMade).toBe(8);
    const posts = (await w.host.services.metrics.subscriptionPosts.get()).values.filter((v) => v.labels.kind === 'lifecycle');
    expect(posts.map((v) => [v.labels.outcome, v.value])).toEqual([['unreachable', 8]]);
    expect(w.sys.received).toEqual([]);
    expect((await w.host.services.webServices.subscriptions.get(subscription.id))?.status).toBe('pending');
  });
});

describe('postSigned judges the peer it connects to', () => {
  let sys: ExternalSystem;
  beforeAll(async () => {
    sys = await ExternalSystem.start();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('IPv4-mapped and NAT64 literals of loopback => not sent; the mapped one does reach loopback when private targets are allowed', async () => {
    const port = new URL(sys.hookUrl).port;
    for (const target of [`http://[::ffff:127.0.0.1]:${port}/hook`, `http://[64:ff9b::7f00:1]:${port}/hook`, `http://localhost:${port}/hook`]) {
      expect(await postSigned(target, '{"a":1}', 'secret', 2000), target).toEqual({ ok: false, status: 0 });
    }
    expect(sys.received).toEqual([]);
    // Control: the same mapped literal is a real way in to 127.0.0.1, so the refusal above is not vacuous.
    expect(await postSigned(`http://[::ffff:127.0.0.1]:${port}/hook`, '{"a":2}', 'secret', 2000, true)).toEqual({ ok: true, status: 200 });
    expect(sys.received.map((r) => r.body)).toEqual(['{"a":2}']);
  });
});

describe('refuseNonPublicPeer', () => {
  it.each(['http', 'https'] as const)('%s: a socket that connected to a non-public peer is destroyed before a byte is written', async (scheme) => {
    const { createServer } = await import('node:net');
    const { request } = await import(scheme === 'https' ? 'node:https' : 'node:http');
    const { refuseNonPublicPeer } = await import('../../src/webservices/target-guard');
    let bytes = 0;
    let closed = 0;
    const raw = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      socket.on('close', () => (closed += 1));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const { port } = raw.address() as { port: number };
    const refused: string[] = [];
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/hook', agent: false }, () => resolve('answered'));
      refuseNonPublicPeer(req, (reason) => refused.push(reason));
      req.on('error', (err: Error) => resolve(err.name));
      req.end('{"secret":"payload"}');
    });
    // Everything the client wrote (request line or TLS ClientHello) has arrived once the server side saw the close.
    await eventually(async () => closed === 1, 'the refused connection to close');
    expect(outcome).toBe('TargetRefused');
    expect(refused).toEqual(['connected peer 127.0.0.1 is not public: loopback']);
    expect(bytes).toBe(0);
    await new Promise((r) => raw.close(r));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned } from '../../src/webservices/delivery-worker';
import { isPublicAddress } from '../../src/webservices/target-guard';
import { authorizeAndExchange, bearer, ExternalSystem, startWorld, type World } from './harness';

describe('isPublicAddress (pure)', () => {
  it.each([
    ['8.8.8.8', true], ['1.1.1.1', true], ['172.32.0.1', true], ['2606:4700:4700::1111', true], ['::ffff:8.8.8.8', false], ['64:ff9b::7f00:1', false], ['2002:7f00:1::', false],
    ['127.0.0.1', false], ['127.255.0.9', false], ['10.1.2.3', false], ['172.16.0.1', false], ['172.31.255.255', false],
    ['192.168.1.1', false], ['169.254.169.254', false], ['100.64.0.1', false], ['0.0.0.0', false], ['224.0.0.1', false],
    ['255.255.255.255', false], ['::1', false], ['::', false], ['fe80::1', false], ['fd00::1', false], ['ff02::1', false],
    ['::ffff:127.0.0.1', false], ['::ffff:10.0.0.1', false], ['not-an-ip', false], ['', false],
  ])('%s => %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('subscription targets with WS_ALLOW_PRIVATE_TARGETS off', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ env: { WS_ALLOW_PRIVATE_TARGETS: 'false' } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('loopback, private, link-local or unresolvable targets => 400 with a clear message; nothing subscribed, nothing sent', async () => {
    const { tokens } = await authorizeAndExchange(w, [w.devices.get('dev-1') ?? '']);
    const api = bearer(w, tokens.access_token);
    const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string }[];
    const uri = ep?.uri ?? '';
    const port = new URL(w.sys.hookUrl).port;
    const targets = [
      w.sys.hookUrl, // 127.0.0.1
      `http://localhost:${port}/hook`, // a name that resolves to loopback
      `http://[::1]:${port}/hook`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.7/hook',
      'https://[::ffff:192.168.0.1]/hook',
      'https://no-such-host.invalid/hook',
    ];
    for (const targetUrl of targets) {
      const res = await api(`${uri}/subscriptions`, { method: 'POST', body: JSON.stringify({ targetUrl, events: ['device.stateChanged'] }) });
      expect(res.status, targetUrl).toBe(400);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('bad_request');
      expect(body.message).toMatch(/targetUrl/);
    }
    expect(await (await api(`${uri}/subscriptions`)).json()).toEqual([]);
    expect(w.sys.received.filter((r) => r.path.startsWith('/hook'))).toEqual([]);
  });
});

describe('postSigned checks the address it connects to', () => {
  let sys: ExternalSystem;
  beforeAll(async () => {
    sys = await ExternalSystem.start();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('a name resolving to loopback, or a loopback literal => not sent; allowed => sent and signed', async () => {
    const port = new URL(sys.hookUrl).port;
    expect(await postSigned(`http://localhost:${port}/hook`, '{"a":1}', 'secret', 2000)).toEqual({ ok: false, status: 0 });
    expect(await postSigned(`http://127.0.0.1:${port}/hook`, '{"a":1}', 'secret', 2000)).toEqual({ ok: false, status: 0 });
    expect(sys.received).toEqual([]);
    expect(await postSigned(`http://127.0.0.1:${port}/hook`, '{"a":2}', 'secret', 2000, true)).toEqual({ ok: true, status: 200 });
    expect(sys.received.map((r) => [r.path, r.body, typeof r.headers['x-sm-signature']])).toEqual([['/hook', '{"a":2}', 'string']]);
  });

  it('a target that does not answer in time => failed, not hung', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    expect(await postSigned(`http://127.0.0.1:${port}/hook`, '{}', 'secret', 200, true)).toEqual({ ok: false, status: 0 });
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  });
});

describe('postOutcome (pure)', () => {
  it('labels a POST result with a bounded vocabulary', async () => {
    const { postOutcome } = await import('../../src/webservices/delivery-worker');
    expect(postOutcome({ ok: true, status: 204 })).toBe('delivered');
    expect(postOutcome({ ok: false, status: 0 })).toBe('unreachable');
    expect(postOutcome({ ok: false, status: 302 })).toBe('http_other');
    expect(postOutcome({ ok: false, status: 410 })).toBe('http_4xx');
    expect(postOutcome({ ok: false, status: 503 })).toBe('http_5xx');
  });
});

describe('eventTimeOf (pure)', () => {
  it('the event time of an EVENT body; undefined for a lifecycle body or garbage', async () => {
    const { eventTimeOf } = await import('../../src/webservices/delivery-payloads');
    const at = '2026-11-23T12:00:00.000Z';
    expect(eventTimeOf(JSON.stringify({ lifecycle: 'EVENT', eventData: { events: [{ at }] } }))).toBe(Date.parse(at));
    expect(eventTimeOf(JSON.stringify({ lifecycle: 'CONFIRMATION', confirmationData: {} }))).toBeUndefined();
    expect(eventTimeOf(JSON.stringify({ eventData: { events: [{ at: 'yesterday' }] } }))).toBeUndefined();
    expect(eventTimeOf('{not json')).toBeUndefined();
  });
});

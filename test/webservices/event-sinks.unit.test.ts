import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { PlatformEvent } from '../../src/platform';
import { chainOf, type EventSink } from '../../src/webservices/event-sinks';
import { failureMessage } from '../../src/webservices/sink-delivery';
import { messageIdOf, parseQueued, routeToSinks, sinkBody, sinkEventTime } from '../../src/webservices/sink-routing';
import { newSigningSecret, standardHeaders, standardSignature } from '../../src/webservices/standard-webhooks';

const event: PlatformEvent = {
  id: '1700000000000-3.5',
  cursor: '1700000000000-3',
  type: 'device.renamed',
  installationId: 'inst-1',
  deviceId: 'dev-1',
  at: '2026-01-01T00:00:00.000Z',
  data: { from: 'A', to: 'B' },
};
const sink = (over: Partial<EventSink>): EventSink => ({ id: 's', url: 'https://x', types: null, connectors: null, createdAt: '', ...over });

describe('Standard Webhooks signing (pure)', () => {
  it('matches the spec\'s example vector', () => {
    // From the Standard Webhooks specification and its reference libraries' tests.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    expect(standardSignature(secret, id, 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('headers verify with the reference library; a new secret is whsec_ + 32 random bytes', () => {
    const secret = newSigningSecret();
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
    const body = sinkBody(event);
    const headers = standardHeaders(secret, messageIdOf(event), body, Date.now());
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });
});

describe('sink routing (pure)', () => {
  it('body: type, timestamp, data with installationId (never overridden by the event data) and deviceId', () => {
    const body = JSON.parse(sinkBody({ ...event, data: { ...event.data, installationId: 'spoofed' } })) as Record<string, unknown>;
    expect(body).toEqual({ type: 'device.renamed', timestamp: event.at, data: { from: 'A', to: 'B', installationId: 'inst-1', deviceId: 'dev-1' } });
    // Unique across partitions: the partition stream's id and the partition.
    expect(messageIdOf(event)).toBe('msg_1700000000000_3_5');
    expect(sinkEventTime(sinkBody(event))).toBe(Date.parse(event.at));
    expect(sinkEventTime('junk')).toBeUndefined();
  });

  it('filters by type and connector; an unknown connector reaches only sinks that take every connector', () => {
    const sinks = [
      sink({ id: 'all' }),
      sink({ id: 'renames', types: ['device.renamed'] }),
      sink({ id: 'linked', types: ['installation.linked'] }),
      sink({ id: 'acme', connectors: ['acme'] }),
      sink({ id: 'netatmo', connectors: ['netatmo'] }),
    ];
    expect(routeToSinks(event, 'acme', sinks).map((r) => r.subscriptionId)).toEqual(['all', 'renames', 'acme']);
    expect(routeToSinks(event, undefined, sinks).map((r) => r.subscriptionId)).toEqual(['all', 'renames']);
  });

  it('one chain per installation, named by a digest; the queued message carries id and body', () => {
    const [routed] = routeToSinks(event, 'acme', [sink({})]);
    expect(routed?.deviceId).toBe(chainOf('inst-1'));
    expect(routed?.deviceId).not.toContain('inst-1');
    expect(chainOf('inst-2')).not.toBe(chainOf('inst-1'));
    expect(parseQueued(routed?.body ?? '')).toEqual({ id: messageIdOf(event), body: sinkBody(event) });
    expect(parseQueued('{"id":1}')).toBeUndefined();
    expect(parseQueued('nope')).toBeUndefined();
  });

  it('failure messages name the status, or say there was no answer', () => {
    expect(failureMessage({ status: 0 })).toMatch(/no answer/);
    expect(failureMessage({ status: 502 })).toBe('answered HTTP 502');
  });
});

import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setpointPushes } from '../../connectors/netatmo/fake/push';
import type { FakeHome, FakeRoom } from '../../connectors/netatmo/fake/device-types';
import { parse, verify } from '../../connectors/netatmo/webhook';
import { WebhookParseError, type ParsedWebhook } from '../../src/connectors/sdk';
import { acceptsCallbackToken, ROTATION_OVERLAP_MS, type CallbackTokenRecord } from '../../src/ingest/callback-token';
import { hashToken } from '../../src/runtime/secrets/crypto';
import { RUNS } from './runs';

/** parse either returns well-formed effects or throws WebhookParseError: nothing else may escape. */
function parseOutcome(payload: unknown): ParsedWebhook | WebhookParseError {
  try {
    return parse(payload);
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookParseError);
    return err as WebhookParseError;
  }
}

function expectWellFormed(result: ParsedWebhook): void {
  expect(result.dedupKey === undefined || typeof result.dedupKey === 'string').toBe(true);
  for (const effect of result.effects) {
    expect(['patch', 'removed', 'refresh', 'activation']).toContain(effect.kind);
    if (effect.kind === 'patch') {
      for (const d of effect.devices) {
        expect(d.externalId).toMatch(/^.+\..+$/);
        const t = d.attributes['heatingSetpoint'];
        expect(typeof t === 'number' && t > 0).toBe(true);
      }
    }
  }
}

// Payloads shaped like Netatmo pushes, with every field free to be missing, mistyped or odd.
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const field = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.constant(null), fc.boolean());
const netatmoish = fc.record(
  {
    push_type: fc.oneof(fc.constantFrom('display_change', 'device_event', 'webhook_activation', 'home_event_changed'), field),
    event_type: fc.oneof(fc.constantFrom('set_point', 'setpoint_event', 'cancel_set_point', 'therm_mode', 'schedule', 'other'), field),
    home_id: fc.oneof(fc.string({ minLength: 1, maxLength: 24 }), field),
    room_id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), field),
    mode: fc.oneof(fc.constantFrom('manual', 'max', 'home', 'off', 'away'), field),
    temperature: fc.oneof(fc.double({ min: -50, max: 50, noNaN: true }), field),
    home: maybe(fc.record({ id: fc.oneof(fc.string({ maxLength: 24 }), field) }, { requiredKeys: [] })),
    extra_params: maybe(
      fc.record(
        {
          event_type: fc.oneof(fc.constant('setpoint_event'), field),
          room_id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), field),
          mode: fc.oneof(fc.constantFrom('manual', 'home'), field),
          temperature: fc.oneof(fc.double({ min: -50, max: 50, noNaN: true }), field),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

describe('netatmo parse — property', () => {
  it('parse(any JSON value) => well-formed effects or a WebhookParseError, never another exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const out = parseOutcome(value);
        if (!(out instanceof WebhookParseError)) expectWellFormed(out);
      }),
      { numRuns: RUNS },
    );
  });

  it('parse(any Netatmo-shaped push, fields missing or mistyped) => well-formed effects or a WebhookParseError', () => {
    fc.assert(
      fc.property(netatmoish, (value) => {
        const out = parseOutcome(JSON.parse(JSON.stringify(value)) as unknown);
        if (!(out instanceof WebhookParseError)) expectWellFormed(out);
      }),
      { numRuns: RUNS },
    );
  });

  it('parse(p) twice => the same result (pure: same dedup key and effects)', () => {
    fc.assert(
      fc.property(netatmoish, (value) => {
        const a = parseOutcome(value);
        const b = parseOutcome(value);
        if (a instanceof WebhookParseError) expect(b).toBeInstanceOf(WebhookParseError);
        else expect(b).toEqual(a);
      }),
      { numRuns: RUNS },
    );
  });

  it('parse(display_change, device_event twin of one setpoint change) => one dedup key, so the change applies once', () => {
    const setpoint = fc.record({
      mode: fc.constantFrom('manual', 'max', 'home', 'off'),
      temperature: fc.integer({ min: 70, max: 300 }).map((t) => t / 10),
      homeId: fc.stringMatching(/^[0-9a-f]{24}$/),
      roomId: fc.stringMatching(/^[0-9]{10}$/),
    });
    fc.assert(
      fc.property(setpoint, ({ mode, temperature, homeId, roomId }) => {
        const room: FakeRoom = {
          id: roomId, name: 'Room', type: 'livingroom', moduleIds: [], measuredTemperature: 20, setpoint: temperature,
          mode, setpointStartTime: 0, setpointEndTime: 0, reachable: true,
        };
        const home: FakeHome = {
          id: homeId, name: 'Home', thermMode: 'schedule', thermModeEndTime: 0, hgTemp: 7, awayTemp: 12, defaultDurationMin: 180,
          rooms: [room], modules: [],
        };
        const [display, device] = setpointPushes({ id: 'u', email: 'e', password: 'p' }, home, room, '70:ee:50:00:00:01', Date.now());
        const a = parse(JSON.parse(JSON.stringify(display)) as unknown);
        const b = parse(JSON.parse(JSON.stringify(device)) as unknown);
        expect(a.dedupKey).toBeDefined();
        expect(b.dedupKey).toBe(a.dedupKey);
        expect(b.effects).toEqual(a.effects);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('netatmo verify — property', () => {
  const secret = 'fake-netatmo-client-secret-0123456789';
  it('verify(body, HMAC of exactly that body) => true; any other body or signature => false', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.boolean(), (body, other, upper) => {
        const sign = (b: string) => createHmac('sha256', secret).update(Buffer.from(b, 'utf8')).digest('hex');
        const request = (signature: string | undefined) => ({
          rawBody: Buffer.from(body, 'utf8'),
          headers: { 'x-netatmo-secret': signature },
          clientSecret: secret,
        });
        const good = sign(body);
        expect(verify(request(upper ? good.toUpperCase() : good))).toBe(true);
        expect(verify(request(sign(other)))).toBe(Buffer.from(other, 'utf8').equals(Buffer.from(body, 'utf8')));
        expect(verify(request(undefined))).toBe(false);
        expect(verify(request(other))).toBe(other.toLowerCase() === good);
        expect(verify({ ...request(good), clientSecret: undefined })).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('acceptsCallbackToken — property', () => {
  // Drawn by fast-check (not crypto.randomBytes) so a failing case replays from its seed.
  const tokens = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url'));
  const time = fc.integer({ min: 0, max: 2 ** 44 });

  it('acceptsCallbackToken(record, token, now) => the current token always; the previous one only while the overlap lasts; anything else never', () => {
    fc.assert(
      fc.property(
        tokens,
        tokens,
        fc.oneof(tokens, fc.string({ maxLength: 200 })),
        time,
        fc.integer({ min: -ROTATION_OVERLAP_MS, max: ROTATION_OVERLAP_MS }),
        fc.boolean(),
        (current, previous, stranger, now, untilOffset, hasPrevious) => {
          const record: CallbackTokenRecord = {
            currentHash: hashToken(current),
            previousHash: hasPrevious ? hashToken(previous) : undefined,
            previousUntil: hasPrevious ? now + untilOffset : undefined,
          };
          expect(acceptsCallbackToken(record, current, now)).toBe(true);
          expect(acceptsCallbackToken(record, previous, now)).toBe(hasPrevious && now < now + untilOffset);
          if (stranger !== current && stranger !== previous) expect(acceptsCallbackToken(record, stranger, now)).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('acceptsCallbackToken(a record with missing or corrupt hashes, any token) => false', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), fc.string(), time, (cur, prev, presented, now) => {
        fc.pre(cur !== hashToken(presented) && prev !== hashToken(presented));
        const record: CallbackTokenRecord = { currentHash: cur, previousHash: prev, previousUntil: now + 1 };
        expect(acceptsCallbackToken(record, presented, now)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookParseError } from '../../../src/connectors/sdk';
import { parse, verify } from '../webhook';

const HOME = '595ca415ac34a58a108b488a';
const displayChange = (mode: string, temperature: number) => ({
  user_id: '56890064c6aa42d17204e01e',
  home: { id: HOME, rooms: [{ id: '3274133832', therm_setpoint_mode: mode, therm_setpoint_temperature: temperature }] },
  type: 'setpoint_event',
  home_id: HOME,
  device_id: '70:ee:50:11:d2:68',
  event_type: 'setpoint_event',
  room_id: '3274133832',
  mode,
  temperature,
  push_type: 'display_change',
});
const deviceEvent = (mode: string, temperature: number) => ({
  extra_params: { device_type: 'NAPlug', event_type: 'setpoint_event', mode, room_id: '3274133832', temperature, therm_measured_temperature: 23.3, ts: 1 },
  push_type: 'device_event',
  device_id: '12:34:56:00:bc:24',
  home_id: HOME,
});

describe('parse (netatmo-api.md §3.4)', () => {
  it('parse(manual setpoint display_change) => patch of the room device with the setpoint', () => {
    expect(parse(displayChange('manual', 13.5))).toEqual({
      dedupKey: `setpoint:${HOME}:3274133832:manual:13.5`,
      effects: [{ kind: 'patch', devices: [{ externalId: `${HOME}.3274133832`, attributes: { heatingSetpoint: 13.5, setpointMode: 'manual' } }] }],
    });
  });

  it('parse(device_event twin) => the same dedup key as its display_change', () => {
    expect(parse(deviceEvent('manual', 13.5)).dedupKey).toBe(parse(displayChange('manual', 13.5)).dedupKey);
  });

  it('parse(the same setpoint set again later, new end time) => a different dedup key; its twin => the same key', () => {
    const withEnd = (end: number) => {
      const d = displayChange('manual', 21);
      return { ...d, home: { id: HOME, rooms: [{ ...d.home.rooms[0], id: '3274133832', therm_setpoint_end_time: end }] } };
    };
    const twin = (end: number) => {
      const e = deviceEvent('manual', 21);
      return { ...e, extra_params: { ...e.extra_params, ts_end: end } };
    };
    expect(parse(withEnd(1786439233)).dedupKey).toBe(parse(twin(1786439233)).dedupKey);
    expect(parse(withEnd(1786439233)).dedupKey).not.toBe(parse(withEnd(1786439299)).dedupKey);
  });

  it.each(['home', 'off'])('parse(%s with temperature 0) => a debounced refresh, not a setpoint', (mode) => {
    const parsed = parse(displayChange(mode, 0));
    expect(parsed.effects).toEqual([{ kind: 'refresh', debounceMs: 5000 }]);
  });

  it('parse(cancel_set_point) => refresh', () => {
    expect(parse({ event_type: 'cancel_set_point', home_id: HOME, room_id: '1', push_type: 'display_change' }).effects).toEqual([
      { kind: 'refresh', debounceMs: 5000 },
    ]);
  });

  it('parse(therm_mode) => refresh, keyed by the change', () => {
    const p = parse({ event_type: 'therm_mode', home: { id: HOME, therm_mode: 'hg' }, mode: 'hg', previous_mode: 'schedule', push_type: 'home_event_changed', home_id: HOME });
    expect(p).toEqual({ dedupKey: `therm_mode:${HOME}:hg:schedule`, effects: [{ kind: 'refresh', debounceMs: 5000 }] });
  });

  it('parse(webhook_activation) => activation', () => {
    expect(parse({ user_id: '1', user: { id: '1' }, push_type: 'webhook_activation' })).toEqual({ dedupKey: undefined, effects: [{ kind: 'activation' }] });
  });

  it('parse(security event) => acknowledged, no effect', () => {
    expect(parse({ event_type: 'person', push_type: 'NACamera-person', home_id: HOME }).effects).toEqual([]);
  });

  it.each([
    ['an array', []],
    ['a string', 'hello'],
    ['null', null],
    ['no push_type or event_type', { home_id: HOME }],
    ['a setpoint without room', { event_type: 'set_point', home_id: HOME, mode: 'manual', temperature: 20 }],
    ['a setpoint with a non-numeric temperature', { event_type: 'set_point', home_id: HOME, room_id: '1', mode: 'manual', temperature: 'hot' }],
    ['therm_mode without home', { event_type: 'therm_mode', mode: 'hg' }],
  ])('parse(%s) => WebhookParseError', (_name, payload) => {
    expect(() => parse(payload)).toThrow(WebhookParseError);
  });
});

describe('verify (X-Netatmo-secret, §3.2)', () => {
  const body = Buffer.from(JSON.stringify(displayChange('manual', 20)));
  const sign = (secret: string, b: Buffer) => createHmac('sha256', secret).update(b).digest('hex');

  it('verify(correct HMAC of the raw bytes) => true, header case-insensitive in value', () => {
    expect(verify({ rawBody: body, headers: { 'x-netatmo-secret': sign('s3cret', body) }, clientSecret: 's3cret' })).toBe(true);
    expect(verify({ rawBody: body, headers: { 'x-netatmo-secret': sign('s3cret', body).toUpperCase() }, clientSecret: 's3cret' })).toBe(true);
  });
  it('verify(wrong secret, changed body, missing header, no client secret) => false', () => {
    expect(verify({ rawBody: body, headers: { 'x-netatmo-secret': sign('other', body) }, clientSecret: 's3cret' })).toBe(false);
    expect(verify({ rawBody: Buffer.concat([body, Buffer.from(' ')]), headers: { 'x-netatmo-secret': sign('s3cret', body) }, clientSecret: 's3cret' })).toBe(false);
    expect(verify({ rawBody: body, headers: {}, clientSecret: 's3cret' })).toBe(false);
    expect(verify({ rawBody: body, headers: { 'x-netatmo-secret': sign('s3cret', body) }, clientSecret: undefined })).toBe(false);
    expect(verify({ rawBody: body, headers: { 'x-netatmo-secret': 'abc' }, clientSecret: 's3cret' })).toBe(false);
  });
});

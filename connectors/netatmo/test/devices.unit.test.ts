import { describe, expect, it } from 'vitest';
import type { CloudResponse } from '../../../src/connectors/sdk';
import type { Home, HomeStatus } from '../api';
import { discoverHome, roomExternalId, snapshotHome, splitExternalId } from '../devices';
import { classify } from '../errors';

const home: Home = {
  id: 'h1',
  name: 'MYHOME',
  therm_mode: 'schedule',
  rooms: [
    { id: '10', name: 'Livingroom', module_ids: ['t1'] },
    { id: '20', name: 'Bedroom', module_ids: ['v1', 'v2'] },
    { id: '30', name: 'Hall', module_ids: [] },
  ],
  modules: [
    { id: 'g', type: 'NAPlug', name: 'Relay' },
    { id: 't1', type: 'NATherm1', name: 'Thermostat', room_id: '10', bridge: 'g' },
    { id: 'v1', type: 'NRV', name: 'Valve 1', room_id: '20', bridge: 'g' },
    { id: 'v2', type: 'NRV', name: 'Valve 2', room_id: '20', bridge: 'g' },
  ],
};
const status: HomeStatus = {
  home: {
    id: 'h1',
    rooms: [
      { id: '10', reachable: true, therm_measured_temperature: 19.8, therm_setpoint_temperature: 21, therm_setpoint_mode: 'schedule' },
      { id: '20', reachable: true, therm_measured_temperature: 18, therm_setpoint_temperature: 17, therm_setpoint_mode: 'manual' },
    ],
    modules: [
      { id: 't1', type: 'NATherm1', battery_level: 3793, battery_state: 'high', reachable: true },
      { id: 'v1', type: 'NRV', battery_level: 3025, battery_state: 'full', reachable: true },
      { id: 'v2', type: 'NRV', battery_level: 2600, battery_state: 'low', reachable: true },
    ],
  },
  errors: [],
};

describe('devices', () => {
  it('discoverHome => a device per room with a thermostat or valve, typed by its modules', () => {
    expect(discoverHome(home)).toEqual([
      { externalId: 'h1.10', name: 'Livingroom', type: 'thermostat' },
      { externalId: 'h1.20', name: 'Bedroom', type: 'valve' },
    ]);
  });

  it('snapshotHome => °C state, setpoint mode, home mode, the weakest battery of the room', () => {
    const [living, bedroom] = snapshotHome(home, status);
    expect(living?.attributes).toEqual({
      temperature: 19.8, heatingSetpoint: 21, setpointMode: 'schedule', homeMode: 'schedule',
      reachable: true, batteryState: 'high', batteryLevel: 3793, temperatureUnit: 'C',
    });
    expect(bedroom?.attributes).toMatchObject({ batteryState: 'low', batteryLevel: 2600, setpointMode: 'manual' });
  });

  it('snapshotHome(module unreachable, code 6) => the room is unreachable', () => {
    const [, bedroom] = snapshotHome(home, { ...status, errors: [{ code: 6, id: 'v2' }] });
    expect(bedroom?.attributes['reachable']).toBe(false);
  });

  it('room ids round-trip through the external id', () => {
    expect(splitExternalId(roomExternalId('595ca415', '3274133832'))).toEqual({ homeId: '595ca415', roomId: '3274133832' });
    expect(splitExternalId('nodot')).toBeUndefined();
  });
});

const res = (status: number, body: unknown): CloudResponse => ({ status, headers: new Headers(), body, text: '' });
describe('classify (netatmo-api.md §2.2)', () => {
  it.each([
    [403, { error: { code: 3, message: 'Access token expired' } }, 'token_expired'],
    [403, { error: { code: 2, message: 'Invalid access token' } }, 'token_expired'],
    [429, { error: { code: 26, message: 'Maximum api usage reached' } }, 'rate_limited'],
    [403, { error: { code: 26, message: 'Application usage reached' } }, 'rate_limited'],
    [429, { error: { code: 11, message: 'Failed to enter concurrency limited section' } }, 'rate_limited'],
    [500, { error: { code: 11, message: 'Internal error' } }, 'retry'],
    [403, { error: { code: 13, message: 'Operation is forbidden' } }, 'fatal'],
    [406, { error: { code: 7, message: 'Nothing to drop' } }, 'fatal'],
    [500, undefined, 'retry'],
    [200, { status: 'ok', body: {} }, 'ok'],
    [200, { unexpected: true }, 'retry'],
  ] as const)('classify(HTTP %i, %j) => %s', (s, body, expected) => {
    expect(classify(res(s, body))).toBe(expected);
  });
});

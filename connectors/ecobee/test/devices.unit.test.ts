import { describe, expect, it } from 'vitest';
import { classify } from '../errors';
import { displayName, fToTenths, operatingState, summaryCursor, tenthsToF, toSnapshot } from '../devices';
import type { CloudResponse } from '../../../src/connectors/sdk';

const response = (status: number, body: unknown): CloudResponse => ({ status, headers: new Headers(), body, text: JSON.stringify(body) });
const ecobeeStatus = (code: number) => ({ status: { code, message: '' } });

describe('classify (ecobee-api.md §6)', () => {
  it.each([
    [500, ecobeeStatus(14), 'token_expired'],
    [401, ecobeeStatus(14), 'token_expired'],
    [200, ecobeeStatus(14), 'token_expired'],
    [500, ecobeeStatus(16), 'reauth_required'],
    [500, ecobeeStatus(1), 'reauth_required'],
    [500, ecobeeStatus(3), 'retry'],
    [500, ecobeeStatus(8), 'fatal'],
    [500, ecobeeStatus(2), 'fatal'],
    [200, ecobeeStatus(0), 'ok'],
    [401, undefined, 'token_expired'],
    [502, undefined, 'retry'],
    [429, undefined, 'rate_limited'],
    [404, undefined, 'fatal'],
    [200, undefined, 'retry'],
  ] as const)('classify(HTTP %i, %j) => %s', (status, body, expected) => {
    expect(classify(response(status, body))).toBe(expected);
  });
});

describe('device mapping', () => {
  it('tenthsToF / fToTenths => one decimal °F and back', () => {
    expect(tenthsToF(711)).toBe(71.1);
    expect(tenthsToF(690)).toBe(69);
    expect(tenthsToF(undefined)).toBeNull();
    expect(fToTenths(68)).toBe(680);
    expect(fToTenths(71.15)).toBe(712);
  });

  it.each([
    ['', 'idle'],
    ['fan', 'fan only'],
    ['heatPump,fan', 'heating'],
    ['auxHeat1', 'heating'],
    ['compCool1,fan', 'cooling'],
    ['humidifier', 'idle'],
  ])('operatingState(%j) => %s', (csv, state) => {
    expect(operatingState(csv)).toBe(state);
  });

  it('displayName => ST fallback for unnamed thermostats', () => {
    expect(displayName({ identifier: '1', name: '', modelNumber: 'siSmart' })).toBe('Smart Si (1)');
    expect(displayName({ identifier: '1', name: ' ', modelNumber: 'athenaSmart' })).toBe('Smart (1)');
    expect(displayName({ identifier: '1', name: 'Hall' })).toBe('Hall');
  });

  it('toSnapshot => the documented attribute set in °F', () => {
    const s = toSnapshot({
      identifier: '318324702718',
      name: 'Main Floor',
      equipmentStatus: 'compCool1',
      runtime: { connected: true, actualTemperature: 711, actualHumidity: 42, desiredHeat: 707, desiredCool: 734 },
      settings: { hvacMode: 'cool' },
    });
    expect(s).toEqual({
      externalId: '318324702718',
      name: 'Main Floor',
      type: 'thermostat',
      attributes: {
        temperature: 71.1,
        humidity: 42,
        heatingSetpoint: 70.7,
        coolingSetpoint: 73.4,
        thermostatMode: 'cool',
        operatingState: 'cooling',
        connected: true,
        temperatureUnit: 'F',
      },
    });
  });

  it('summaryCursor => independent of order, changes with any revision', () => {
    const a = { thermostatCount: 2, revisionList: ['1:A:true:1:2:3:4', '2:B:true:1:2:3:4'], statusList: ['1:', '2:fan'], status: { code: 0, message: '' } };
    const b = { ...a, revisionList: [...a.revisionList].reverse(), statusList: [...a.statusList].reverse() };
    expect(summaryCursor(a)).toBe(summaryCursor(b));
    expect(summaryCursor({ ...a, revisionList: ['1:A:true:1:2:9:4', '2:B:true:1:2:3:4'] })).not.toBe(summaryCursor(a));
    expect(summaryCursor({ ...a, statusList: ['1:heatPump', '2:fan'] })).not.toBe(summaryCursor(a));
  });
});

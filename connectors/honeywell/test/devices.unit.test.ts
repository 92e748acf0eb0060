import { describe, expect, it } from 'vitest';
import { CommandArgumentError, matchesResponse, type CloudResponse } from '../../../src/connectors/sdk';
import { thermostatSchema } from '../api';
import { changeBody } from '../commands';
import { toDiscovered, toSnapshot } from '../devices';
import { classify, tokenExpired } from '../errors';
import index from '../index';
import { DEFAULT_LOCATIONS, thermostatFrom, type ThermostatSeed } from '../fake/devices';

const thermostat = (seed: ThermostatSeed, patch: Record<string, unknown> = {}) => thermostatSchema.parse({ ...thermostatFrom(seed), ...patch });
const lccF = () => thermostat({ deviceID: 'LCC-00D02DAB5CBE', name: 'Living Room', indoorTemperature: 73, heatSetpoint: 62, coolSetpoint: 85 });
const tcc = () => thermostat({ deviceID: 'TCC-2728972', name: 'Upstairs', heatSetpoint: 64, coolSetpoint: 78 });
const lccC = () => thermostat({ deviceID: 'LCC-00D02DAB5CC0', name: 'Cabin', units: 'Celsius', heatSetpoint: 18, coolSetpoint: 26 });
const location = (t: ReturnType<typeof lccF>) => ({ locationID: 559589, name: 'Home', thermostats: [t] });

describe('honeywell devices', () => {
  it('a thermostat => its deviceID, its name, units named, changeableValues as attributes, the location as context', () => {
    const snap = toSnapshot(location(lccF()), lccF());
    expect(snap).toMatchObject({ externalId: 'LCC-00D02DAB5CBE', name: 'Living Room', type: 'thermostat', context: { locationId: 559589 } });
    expect(snap.attributes).toMatchObject({
      temperatureUnit: 'F',
      temperature: 73,
      thermostatMode: 'Heat',
      heatingSetpoint: 62,
      coolingSetpoint: 85,
      holdStatus: 'NoHold',
      operatingState: 'EquipmentOff',
      family: 'LCC',
      reachable: true,
    });
    expect(toSnapshot(location(lccC()), lccC()).attributes['temperatureUnit']).toBe('C');
    expect(toDiscovered(location(tcc()))).toEqual([{ externalId: 'TCC-2728972', name: 'Upstairs', type: 'thermostat', context: { locationId: 559589 } }]);
  });

  it('the default fake home has at least three thermostats in two locations (the conformance kit needs three)', () => {
    expect(DEFAULT_LOCATIONS.flatMap((l) => l.thermostats)).toHaveLength(3);
  });
});

describe('honeywell commands: the full body the API requires', () => {
  it('LCC under NoHold: a new heat setpoint keeps mode and cool setpoint and becomes a TemporaryHold', () => {
    expect(changeBody(lccF(), { heatSetpoint: 66 })).toEqual({ mode: 'Heat', heatSetpoint: 66, coolSetpoint: 85, thermostatSetpointStatus: 'TemporaryHold' });
  });

  it('LCC under a PermanentHold keeps it; under HoldUntil the end time travels with it', () => {
    const held = lccF();
    held.changeableValues.thermostatSetpointStatus = 'PermanentHold';
    expect(changeBody(held, { coolSetpoint: 80 }).thermostatSetpointStatus).toBe('PermanentHold');
    const until = lccF();
    until.changeableValues.thermostatSetpointStatus = 'HoldUntil';
    expect(changeBody(until, { heatSetpoint: 60 })).toMatchObject({ thermostatSetpointStatus: 'HoldUntil', nextPeriodTime: '18:00:00' });
  });

  it('TCC: no hold status; autoChangeoverActive as the device reports it', () => {
    expect(changeBody(tcc(), { heatSetpoint: 66 })).toEqual({ mode: 'Heat', heatSetpoint: 66, coolSetpoint: 78, autoChangeoverActive: false });
  });

  it('the other setpoint gives way to keep the deadband; impossible pairs are refused', () => {
    // TCC deadband 2: heat 77 pushes cool from 78 to 79.
    expect(changeBody(tcc(), { heatSetpoint: 77 })).toMatchObject({ heatSetpoint: 77, coolSetpoint: 79 });
    expect(changeBody(tcc(), { coolSetpoint: 60 })).toMatchObject({ heatSetpoint: 58, coolSetpoint: 60 });
    expect(() => changeBody(tcc(), { heatSetpoint: 90 })).toThrow(CommandArgumentError);
  });

  it('a mode the device does not allow, a setpoint outside its limits or off its step => CommandArgumentError saying why', () => {
    expect(() => changeBody(tcc(), { mode: 'Auto' })).toThrow('Mode Auto is not allowed on this thermostat. Allowed modes are Heat, Off, Cool.');
    expect(() => changeBody(lccF(), { heatSetpoint: 95 })).toThrow('between 50 and 90 °F');
    expect(() => changeBody(lccF(), { heatSetpoint: 66.5 })).toThrow('whole °F');
    expect(() => changeBody(lccC(), { heatSetpoint: 19.3 })).toThrow('0.5 °C steps');
    expect(changeBody(lccC(), { heatSetpoint: 19.5 }).heatSetpoint).toBe(19.5);
  });
});

const answer = (status: number, body: unknown): CloudResponse => ({ status, body, headers: new Headers(), text: JSON.stringify(body) });

describe('honeywell errors', () => {
  it('401 {code: Unauthorized} and Apigee token faults are an expired token (data, checked before classify)', () => {
    expect(matchesResponse(tokenExpired, 401, { code: 'Unauthorized', message: 'Authorization has been denied for this request ' })).toBe(true);
    expect(matchesResponse(tokenExpired, 401, { fault: { faultstring: 'Access Token expired', detail: { errorcode: 'keymanagement.service.access_token_expired' } } })).toBe(true);
    expect(matchesResponse(tokenExpired, 401, { fault: { faultstring: 'Invalid ApiKey', detail: { errorcode: 'oauth.v2.InvalidApiKey' } } })).toBe(false);
  });

  it('an invalid apikey is fatal (refreshing cannot fix it); 429 the quota; "Device Not Found" retried; a bad command fatal', () => {
    expect(classify(answer(401, { fault: { faultstring: 'Invalid ApiKey', detail: { errorcode: 'oauth.v2.InvalidApiKey' } } }))).toBe('fatal');
    expect(classify(answer(429, { code: '429.02.001', message: 'rate limit has been exhausted' }))).toBe('rate_limited');
    expect(classify(answer(400, { code: 400, message: 'Device Not Found' }))).toBe('retry');
    expect(classify(answer(400, { code: 400, message: 'Cool setpoint can not be lower than heat setpoint plus deadband.' }))).toBe('fatal');
    expect(classify(answer(503, 'gateway'))).toBe('retry');
    expect(classify(answer(200, []))).toBe('ok');
  });

  it('the definition declares its quirks as data: apikey from the client id, Basic auth, no scopes, appSelect', () => {
    expect(index.apiKey).toEqual({ in: 'query', name: 'apikey', from: 'clientId' });
    expect(index.provider).toMatchObject({ clientAuth: 'basic', scopes: [], authorizeParams: { appSelect: '1' } });
  });
});

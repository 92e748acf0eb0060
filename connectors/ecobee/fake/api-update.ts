import type { Reply } from '../../../src/connectors/fake-cloud';
import { HVAC_MODES, type FakeThermostat, type FanMode, type HvacMode } from './device-types';
import type { ThermostatStore } from './devices';
import { isObject, parseSelection, thermostatOf, type JsonObject } from './api-request';
import { ApiError, apiStatus } from './api-status';

/** POST /1/thermostat (§5): property updates and functions, validated before any is applied. */

interface ThermostatUpdate {
  name?: string;
  hvacMode?: HvacMode;
}

type Operation =
  | { type: 'setHold'; desiredHeat: number; desiredCool: number; fan?: FanMode }
  | { type: 'resumeProgram' };

/**
 * Everything is validated for every selected thermostat before anything is applied, so a
 * rejected request leaves the state untouched. Functions run in listed order (§5).
 */
export function updateThermostats(store: ThermostatStore, request: JsonObject): Reply {
  const { identifiers } = parseSelection(store, request);
  const update = parseUpdate(request['thermostat']);
  const functions = request['functions'] ?? [];
  if (!Array.isArray(functions)) throw new ApiError(5);
  const plans = identifiers.map((id) => {
    const thermostat = thermostatOf(store, id);
    return { id, operations: functions.map((fn: unknown) => parseFunction(fn, thermostat)) };
  });
  for (const { id, operations } of plans) {
    if (update.name !== undefined) store.rename(id, update.name);
    if (update.hvacMode !== undefined) store.setHvacMode(id, update.hvacMode);
    for (const op of operations) apply(store, id, op);
  }
  return apiStatus(0);
}

function apply(store: ThermostatStore, id: string, op: Operation): void {
  if (op.type === 'resumeProgram') return store.resumeProgram(id);
  const { desiredHeat, desiredCool, fan } = op;
  store.setHold(id, fan ? { desiredHeat, desiredCool, fan } : { desiredHeat, desiredCool });
}

/** Only `name` and `settings.hvacMode` are modelled; other writable properties are ignored. */
function parseUpdate(thermostat: unknown): ThermostatUpdate {
  if (thermostat === undefined) return {};
  if (!isObject(thermostat)) throw new ApiError(5);
  const update: ThermostatUpdate = {};
  const name = thermostat['name'];
  if (name !== undefined) {
    if (typeof name !== 'string') throw new ApiError(7);
    update.name = name;
  }
  const settings = thermostat['settings'];
  if (settings !== undefined) {
    if (!isObject(settings)) throw new ApiError(5);
    const mode = settings['hvacMode'];
    if (mode !== undefined) {
      if (!HVAC_MODES.includes(mode as HvacMode)) throw new ApiError(7);
      update.hvacMode = mode as HvacMode;
    }
  }
  return update;
}

function parseFunction(fn: unknown, thermostat: FakeThermostat): Operation {
  if (!isObject(fn)) throw new ApiError(5);
  switch (fn['type']) {
    case 'setHold':
      return parseSetHold(fn['params'], thermostat);
    case 'resumeProgram':
      return parseResumeProgram(fn['params']);
    default:
      throw new ApiError(8);
  }
}

const HOLD_TYPES = ['dateTime', 'nextTransition', 'indefinite', 'holdHours'];
const FAN_MODES: readonly FanMode[] = ['auto', 'on'];

const isTenthsOfDegree = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/**
 * §5 setHold: both temperatures required (holdClimateRef is not modelled), °F × 10 integers
 * inside the thermostat's ranges, heat not above cool. Missing parameters are a function error
 * (11); bad values a validation error (7).
 */
function parseSetHold(params: unknown, t: FakeThermostat): Operation {
  if (!isObject(params)) throw new ApiError(11);
  const heat = params['heatHoldTemp'];
  const cool = params['coolHoldTemp'];
  if (heat === undefined || cool === undefined) throw new ApiError(11);
  if (!isTenthsOfDegree(heat) || !isTenthsOfDegree(cool)) throw new ApiError(7);
  const s = t.settings;
  const inRange = heat >= s.heatRangeLow && heat <= s.heatRangeHigh && cool >= s.coolRangeLow && cool <= s.coolRangeHigh;
  if (!inRange || heat > cool) throw new ApiError(7);
  checkHoldType(params);
  const fan = params['fan'];
  if (fan === undefined) return { type: 'setHold', desiredHeat: heat, desiredCool: cool };
  if (!FAN_MODES.includes(fan as FanMode)) throw new ApiError(7);
  return { type: 'setHold', desiredHeat: heat, desiredCool: cool, fan: fan as FanMode };
}

function checkHoldType(params: JsonObject): void {
  const holdType = params['holdType'] ?? 'indefinite';
  if (typeof holdType !== 'string' || !HOLD_TYPES.includes(holdType)) throw new ApiError(7);
  if (holdType !== 'holdHours') return;
  const hours = params['holdHours'];
  if (hours === undefined) throw new ApiError(11);
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1) throw new ApiError(7);
}

function parseResumeProgram(params: unknown): Operation {
  if (params === undefined) return { type: 'resumeProgram' };
  if (!isObject(params)) throw new ApiError(11);
  const resumeAll = params['resumeAll'];
  if (resumeAll !== undefined && typeof resumeAll !== 'boolean') throw new ApiError(7);
  return { type: 'resumeProgram' };
}

import { z } from 'zod';
import {
  CommandArgumentError,
  defineCommand,
  type CommandDefinition,
  type CommandTarget,
  type ConnectorContext,
} from '../../src/connectors/sdk';
import { getThermostat, postThermostat, type Thermostat, type ThermostatChange } from './api';
import { deviceContext, familyOf, unitOf } from './devices';

/**
 * Honeywell wants the full body on every change (§4): mode, heat and cool setpoints, and the hold
 * status on LCC devices. So each command reads the device first and fills what it does not change
 * from the cloud's current values, as aiolyric, openHAB, Hubitat and homebridge do.
 */

function locationOf(target: CommandTarget): number {
  const context = deviceContext.safeParse(target.context);
  // The framework checks the stored context before a command; this only narrows its type.
  if (!context.success) throw new CommandArgumentError(`device ${target.externalId} has no Honeywell location`);
  return context.data.locationId;
}

/** °F setpoints are whole numbers, °C ones 0.5 steps (§4). */
function checkStep(t: Thermostat, value: number): void {
  const step = unitOf(t) === 'C' ? 0.5 : 1;
  if (!Number.isInteger(value / step)) {
    throw new CommandArgumentError(`Setpoints on this thermostat are in ${step === 1 ? 'whole °F' : '0.5 °C steps'}; got ${value}.`);
  }
}

function checkRange(value: number, min: number, max: number, what: string, unit: string): void {
  if (value < min || value > max) throw new CommandArgumentError(`${what} must be between ${min} and ${max} °${unit}; got ${value}.`);
}

/** The body for a change: current values, then the change, then the hold rules of the device's family. */
export function changeBody(t: Thermostat, change: Partial<Pick<ThermostatChange, 'mode' | 'heatSetpoint' | 'coolSetpoint'>>): ThermostatChange {
  const cv = t.changeableValues;
  const unit = unitOf(t);
  const body: ThermostatChange = {
    mode: change.mode ?? cv.mode,
    heatSetpoint: change.heatSetpoint ?? cv.heatSetpoint,
    coolSetpoint: change.coolSetpoint ?? cv.coolSetpoint,
  };
  if (change.mode !== undefined && !t.allowedModes.includes(change.mode)) {
    throw new CommandArgumentError(`Mode ${change.mode} is not allowed on this thermostat. Allowed modes are ${t.allowedModes.join(', ')}.`);
  }
  if (change.heatSetpoint !== undefined) {
    checkStep(t, change.heatSetpoint);
    checkRange(change.heatSetpoint, t.minHeatSetpoint, t.maxHeatSetpoint, 'The heating setpoint', unit);
  }
  if (change.coolSetpoint !== undefined) {
    checkStep(t, change.coolSetpoint);
    checkRange(change.coolSetpoint, t.minCoolSetpoint, t.maxCoolSetpoint, 'The cooling setpoint', unit);
  }
  // Keep the pair apart by the deadband (§5: "Cool setpoint can not be lower than heat setpoint
  // plus deadband"): the setpoint not being changed gives way, within its limits.
  if (body.coolSetpoint < body.heatSetpoint + t.deadband) {
    if (change.heatSetpoint !== undefined && change.coolSetpoint === undefined) body.coolSetpoint = body.heatSetpoint + t.deadband;
    else if (change.coolSetpoint !== undefined && change.heatSetpoint === undefined) body.heatSetpoint = body.coolSetpoint - t.deadband;
    if (body.coolSetpoint > t.maxCoolSetpoint || body.heatSetpoint < t.minHeatSetpoint || body.coolSetpoint < body.heatSetpoint + t.deadband) {
      throw new CommandArgumentError(`The cooling setpoint must be at least the heating setpoint plus ${t.deadband} °${unit}.`);
    }
  }
  if (familyOf(t.deviceID) === 'TCC') {
    // "Auto" on a TCC device is Heat or Cool with autoChangeoverActive (§4): keep what it reports.
    if (cv.autoChangeoverActive !== undefined) body.autoChangeoverActive = cv.autoChangeoverActive;
    return body;
  }
  // LCC: a new setpoint under NoHold ("run schedule") would be undone at the next period, so it
  // becomes a TemporaryHold, as aiolyric does (§8). HoldUntil needs its end time (§4).
  const status = cv.thermostatSetpointStatus ?? 'NoHold';
  const setpointChanged = change.heatSetpoint !== undefined || change.coolSetpoint !== undefined;
  body.thermostatSetpointStatus = setpointChanged && status === 'NoHold' ? 'TemporaryHold' : status;
  if (body.thermostatSetpointStatus === 'HoldUntil') {
    if (!cv.nextPeriodTime) throw new CommandArgumentError('The thermostat holds until a time it does not report; set a hold first.');
    body.nextPeriodTime = cv.nextPeriodTime;
  }
  return body;
}

async function change(ctx: ConnectorContext, target: CommandTarget, values: Parameters<typeof changeBody>[1]): Promise<void> {
  const locationId = locationOf(target);
  const current = await getThermostat(ctx.http, target.externalId, locationId);
  await postThermostat(ctx.http, target.externalId, locationId, changeBody(current, values));
}

/** In the device's own units (°F or °C, attribute temperatureUnit); the device's limits are checked too. */
const setpoint = z.number().finite().min(4).max(99);

export const commands: Record<string, CommandDefinition> = {
  setHeatingSetpoint: defineCommand({
    input: z.tuple([setpoint]),
    run: (ctx, target, [heatSetpoint]) => change(ctx, target, { heatSetpoint }),
  }),
  setCoolingSetpoint: defineCommand({
    input: z.tuple([setpoint]),
    run: (ctx, target, [coolSetpoint]) => change(ctx, target, { coolSetpoint }),
  }),
  /** Honeywell's own mode names; which ones a device takes is its `allowedModes` (checked). */
  setThermostatMode: defineCommand({
    input: z.tuple([z.enum(['Heat', 'Cool', 'Off', 'Auto', 'EmergencyHeat'])]),
    run: (ctx, target, [mode]) => change(ctx, target, { mode }),
  }),
};

import { z } from 'zod';
import { defineCommand, type CommandDefinition, type CommandTarget } from '../../src/connectors/sdk';
import { updateThermostat } from './api';
import { fToTenths } from './devices';

/** Setpoints are °F with one decimal, like the device attributes; ecobee's thermostats accept 45–92 °F. */
const setpoint = z.number().finite().min(45).max(92);
/** ecobee keeps heat and cool setpoints at least this far apart in auto mode. */
const MIN_DELTA_F = 5;

function current(target: CommandTarget, name: 'heatingSetpoint' | 'coolingSetpoint', fallback: number): number {
  const value = target.attributes[name];
  return typeof value === 'number' ? value : fallback;
}

/** setHold needs both setpoints (§5): the one not being changed keeps its value, nudged apart if needed. */
async function hold(ctx: Parameters<CommandDefinition['run']>[0], target: CommandTarget, heatF: number, coolF: number) {
  await updateThermostat(ctx.http, target.externalId, {
    functions: [
      { type: 'setHold', params: { heatHoldTemp: fToTenths(heatF), coolHoldTemp: fToTenths(coolF), holdType: 'nextTransition' } },
    ],
  });
}

export const commands: Record<string, CommandDefinition> = {
  setHeatingSetpoint: defineCommand({
    input: z.tuple([setpoint]),
    async run(ctx, target, [heat]) {
      await hold(ctx, target, heat, Math.max(current(target, 'coolingSetpoint', 75), heat + MIN_DELTA_F));
    },
  }),
  setCoolingSetpoint: defineCommand({
    input: z.tuple([setpoint]),
    async run(ctx, target, [cool]) {
      await hold(ctx, target, Math.min(current(target, 'heatingSetpoint', 69), cool - MIN_DELTA_F), cool);
    },
  }),
  setThermostatMode: defineCommand({
    input: z.tuple([z.enum(['auto', 'auxHeatOnly', 'cool', 'heat', 'off'])]),
    async run(ctx, target, [mode]) {
      await updateThermostat(ctx.http, target.externalId, { thermostat: { settings: { hvacMode: mode } } });
    },
  }),
  resumeProgram: defineCommand({
    input: z.tuple([]),
    async run(ctx, target) {
      await updateThermostat(ctx.http, target.externalId, { functions: [{ type: 'resumeProgram', params: { resumeAll: false } }] });
    },
  }),
};

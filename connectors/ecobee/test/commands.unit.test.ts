import { describe, expect, it } from 'vitest';
import { commands } from '../commands';

/**
 * What ecobee's command schemas accept (a failure is a 400 before the cloud is called, and the
 * device page's form is read off the same schema): setpoints in °F within 45–92, ecobee's five
 * hvacModes (§5), resumeProgram without arguments.
 */

const accepts = (name: string, args: unknown[]) => commands[name]?.input.safeParse(args).success;

describe('ecobee command arguments', () => {
  it('setpoints: °F from 45 to 92, halves allowed', () => {
    for (const name of ['setHeatingSetpoint', 'setCoolingSetpoint']) {
      expect([45, 68.5, 92].map((v) => accepts(name, [v]))).toEqual([true, true, true]);
      expect([44.5, 92.5, Number.NaN, '68', null].map((v) => accepts(name, [v]))).toEqual([false, false, false, false, false]);
      expect(accepts(name, [])).toBe(false);
    }
  });

  it('setThermostatMode: one of auto, auxHeatOnly, cool, heat, off', () => {
    expect(['auto', 'auxHeatOnly', 'cool', 'heat', 'off'].every((m) => accepts('setThermostatMode', [m]))).toBe(true);
    expect(accepts('setThermostatMode', ['warp'])).toBe(false);
  });

  it('resumeProgram: no arguments; the four commands and no others', () => {
    expect(accepts('resumeProgram', [])).toBe(true);
    expect(accepts('resumeProgram', [1])).toBe(false);
    expect(Object.keys(commands)).toEqual(['setHeatingSetpoint', 'setCoolingSetpoint', 'setThermostatMode', 'resumeProgram']);
  });
});

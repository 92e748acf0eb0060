import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commands as acmeCommands } from '../fixtures/connectors/acme/commands';
import { defineCommand } from '../../src/connectors/sdk';
import { argumentsFrom, commandForms, humanize } from '../../src/linking/command-forms';
import { checkLabel } from '../../src/linking/device-routes';
import { devicePage, stateRows } from '../../src/linking/device-pages';

const thermostat = { type: 'thermostat', attributes: { heatingSetpoint: 20, thermostatMode: 'auto' } };

describe('command forms from the commands\' schemas', () => {
  it('a setpoint as a number field in range, prefilled; an enum as a choice; a free string as text; no arguments as a button', () => {
    const forms = commandForms(acmeCommands, thermostat);
    expect(forms.map((f) => f.title)).toEqual(['Set heating setpoint', 'Set thermostat mode', 'Set mode', 'Crash']);
    expect(forms[0]?.fields).toEqual([{ kind: 'number', label: 'Heating setpoint', min: 5, max: 35, step: 0.5, value: 20 }]);
    expect(forms[1]?.fields).toEqual([{ kind: 'choice', label: 'Thermostat mode', options: ['auto', 'cool', 'heat', 'off'], value: 'auto' }]);
    expect(forms[2]?.fields).toEqual([{ kind: 'text', label: 'Mode', maxLength: 200, value: undefined }]);
    expect(forms[3]?.fields).toEqual([]);
  });

  it('every command for the device type has a form; a command for other device types is left out', () => {
    expect(commandForms(acmeCommands, { type: 'room', attributes: {} }).map((f) => f.name)).toEqual(['setHeatingSetpoint', 'setThermostatMode', 'setMode', 'crash']);
    const onlyLocks = { lock: defineCommand({ input: z.tuple([]), types: ['lock'], run: async () => undefined }) };
    expect(commandForms(onlyLocks, thermostat)).toEqual([]);
  });

  it('arguments a form cannot express stay API-only; a titled argument is named by its title', () => {
    const commands = {
      setSchedule: defineCommand({ input: z.tuple([z.object({ at: z.string() })]), run: async () => undefined }),
      setFan: defineCommand({ input: z.tuple([z.number().int().min(0).max(3).meta({ title: 'Fan speed' })]), run: async () => undefined }),
    };
    expect(commandForms(commands, thermostat)).toEqual([
      { name: 'setFan', title: 'Set fan', fields: [{ kind: 'number', label: 'Fan speed', min: 0, max: 3, step: 1, value: undefined }] },
    ]);
  });

  it('posted strings become the argument array; an empty number is NaN, for the schema to refuse', () => {
    const [heat, mode] = commandForms(acmeCommands, thermostat);
    expect(argumentsFrom(heat!, { arg0: ' 66.5 ' })).toEqual([66.5]);
    expect(argumentsFrom(heat!, { arg0: '' })).toEqual([Number.NaN]);
    expect(argumentsFrom(mode!, { arg0: 'cool' })).toEqual(['cool']);
    expect(acmeCommands['setHeatingSetpoint']?.input.safeParse(argumentsFrom(heat!, {})).success).toBe(false);
    expect(humanize('setThermMode')).toBe('Set therm mode');
  });
});

describe('labels', () => {
  it('trimmed, 1–100 characters counted as a person counts them, no control characters', () => {
    expect(checkLabel('  Hall  ')).toEqual({ ok: true, label: 'Hall' });
    expect(checkLabel('🔥'.repeat(100))).toMatchObject({ ok: true });
    expect(checkLabel('x'.repeat(101))).toEqual({ ok: false, message: 'A name can be at most 100 characters; this one has 101.' });
    expect(checkLabel('')).toMatchObject({ ok: false });
    expect(checkLabel(undefined)).toMatchObject({ ok: false });
    expect(checkLabel('a\u0000b')).toMatchObject({ ok: false });
  });
});

describe('the device page', () => {
  it('state rows: known attributes first, with units; nulls left out', () => {
    expect(stateRows({ battery: 80, temperatureUnit: 'C', temperature: 21.5, humidity: null, connected: true, zone: 'hall' })).toEqual([
      { label: 'Temperature', value: '21.5 °C' },
      { label: 'Battery', value: '80 %' },
      { label: 'Reachable by its cloud', value: 'Yes' },
      { label: 'Zone', value: 'hall' },
    ]);
  });

  it('escapes every value', () => {
    const html = devicePage({
      title: 'Acme',
      device: { label: '<img src=x onerror=alert(1)>', name: '"quoted"', type: 'thermostat', attributes: { thermostatMode: '<b>' }, updatedAt: '2026-12-04T16:43:00.000Z' },
      commands: [],
      base: '/connectors/acme/devices/d1',
      auth: { appId: 'i1', accessToken: 't"><script>', csrf: 'c' },
      links: { overview: '/o', setup: '/s', apps: '/a' },
    });
    expect(html).not.toMatch(/<img|<script>|<b>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('4 Dec 2026, 16:43 UTC');
  });
});

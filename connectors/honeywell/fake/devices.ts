/**
 * The fake Honeywell cloud's locations and thermostats (honeywell-api.md §4, §7), in the cloud's
 * own shapes, and the rules a POST to a thermostat must pass (§4, §5). No HTTP here.
 */

export type Units = 'Fahrenheit' | 'Celsius';

export interface FakeThermostat {
  deviceClass: 'Thermostat';
  deviceType: 'Thermostat';
  deviceID: string;
  macID: string;
  userDefinedDeviceName: string;
  name: string;
  deviceModel: string;
  isAlive: boolean;
  isProvisioned: boolean;
  units: Units;
  indoorTemperature: number;
  indoorHumidity: number;
  outdoorTemperature: number;
  allowedModes: string[];
  deadband: number;
  minHeatSetpoint: number;
  maxHeatSetpoint: number;
  minCoolSetpoint: number;
  maxCoolSetpoint: number;
  changeableValues: {
    mode: string;
    autoChangeoverActive?: boolean;
    heatSetpoint: number;
    coolSetpoint: number;
    thermostatSetpointStatus?: string;
    nextPeriodTime?: string;
    heatCoolMode: string;
  };
  operationStatus: { mode: 'EquipmentOff' | 'Heat' | 'Cool'; fanRequest: boolean; circulationFanRequest: boolean };
  settings: { fan: { allowedModes: string[]; changeableValues: { mode: string } } };
  scheduleStatus: string;
}

export interface FakeLocation {
  locationID: number;
  name: string;
  country: string;
  zipcode: string;
  ianaTimeZone: string;
  devices: FakeThermostat[];
}

export interface ThermostatSeed {
  deviceID: string;
  name: string;
  units?: Units;
  model?: string;
  indoorTemperature?: number;
  mode?: string;
  heatSetpoint?: number;
  coolSetpoint?: number;
}

export interface LocationSeed {
  locationID: number;
  name: string;
  thermostats: ThermostatSeed[];
}

/** Two locations (integer ids, §7): an LCC and a TCC thermostat in °F at home, an LCC in °C at the cabin. */
export const DEFAULT_LOCATIONS: readonly LocationSeed[] = [
  {
    locationID: 559589,
    name: 'Home',
    thermostats: [
      { deviceID: 'LCC-00D02DAB5CBE', name: 'Living Room', model: 'T5-T6', indoorTemperature: 73, heatSetpoint: 62, coolSetpoint: 85 },
      { deviceID: 'TCC-2728972', name: 'Upstairs', model: 'Round', indoorTemperature: 70, heatSetpoint: 64, coolSetpoint: 78 },
    ],
  },
  {
    locationID: 1541748,
    name: 'Cabin',
    thermostats: [
      { deviceID: 'LCC-00D02DAB5CC0', name: 'Cabin', units: 'Celsius', model: 'T9-T10', indoorTemperature: 19.5, heatSetpoint: 18, coolSetpoint: 26 },
    ],
  },
];

export function thermostatFrom(seed: ThermostatSeed): FakeThermostat {
  const celsius = seed.units === 'Celsius';
  const tcc = seed.deviceID.startsWith('TCC-');
  return {
    deviceClass: 'Thermostat',
    deviceType: 'Thermostat',
    deviceID: seed.deviceID,
    macID: seed.deviceID.replace(/^(LCC|TCC)-/, ''),
    userDefinedDeviceName: seed.name,
    name: seed.name,
    deviceModel: seed.model ?? 'T5-T6',
    isAlive: true,
    isProvisioned: true,
    units: seed.units ?? 'Fahrenheit',
    indoorTemperature: seed.indoorTemperature ?? (celsius ? 20 : 70),
    indoorHumidity: 51,
    outdoorTemperature: celsius ? 8 : 46,
    allowedModes: tcc ? ['Heat', 'Off', 'Cool'] : ['EmergencyHeat', 'Heat', 'Off', 'Cool', 'Auto'],
    deadband: tcc ? 2 : 0,
    minHeatSetpoint: celsius ? 10 : 50,
    maxHeatSetpoint: celsius ? 32 : 90,
    minCoolSetpoint: celsius ? 10 : 50,
    maxCoolSetpoint: celsius ? 32 : 90,
    changeableValues: {
      mode: seed.mode ?? 'Heat',
      ...(tcc ? { autoChangeoverActive: false } : { thermostatSetpointStatus: 'NoHold', nextPeriodTime: '18:00:00' }),
      heatSetpoint: seed.heatSetpoint ?? (celsius ? 18 : 62),
      coolSetpoint: seed.coolSetpoint ?? (celsius ? 26 : 85),
      heatCoolMode: seed.mode ?? 'Heat',
    },
    operationStatus: { mode: 'EquipmentOff', fanRequest: false, circulationFanRequest: false },
    settings: { fan: { allowedModes: ['On', 'Auto', 'Circulate'], changeableValues: { mode: 'Auto' } } },
    scheduleStatus: 'Resume',
  };
}

const HOLDS = ['NoHold', 'TemporaryHold', 'PermanentHold', 'HoldUntil'];

/**
 * A POST body checked the way the real API answers (§4, §5): the message of a 400, or the new
 * changeable values.
 */
export function applyChange(t: FakeThermostat, body: unknown): { error: string } | { values: FakeThermostat['changeableValues'] } {
  if (typeof body !== 'object' || body === null) return { error: 'The request is invalid.' };
  const b = body as Record<string, unknown>;
  for (const field of ['mode', 'heatSetpoint', 'coolSetpoint'] as const) {
    if (b[field] === undefined) return { error: `'${field[0]?.toUpperCase()}${field.slice(1)}' is required.` };
  }
  const { mode, heatSetpoint: heat, coolSetpoint: cool } = b;
  if (typeof mode !== 'string' || !t.allowedModes.includes(mode)) {
    return { error: `Mode ${String(mode)} is not allowed. Allowed modes are ${t.allowedModes.join(', ')}.` };
  }
  if (typeof heat !== 'number' || typeof cool !== 'number') return { error: 'Setpoints must be numbers.' };
  const step = t.units === 'Celsius' ? 0.5 : 1;
  if (!Number.isInteger(heat / step) || !Number.isInteger(cool / step)) return { error: `Setpoints must be in steps of ${step}.` };
  if (heat < t.minHeatSetpoint || heat > t.maxHeatSetpoint) return { error: 'Heat setpoint is out of range.' };
  if (cool < t.minCoolSetpoint || cool > t.maxCoolSetpoint) return { error: 'Cool setpoint is out of range.' };
  if (cool < heat + t.deadband) return { error: 'Cool setpoint can not be lower than heat setpoint plus deadband.' };
  const values = { ...t.changeableValues, mode, heatSetpoint: heat, coolSetpoint: cool, heatCoolMode: mode };
  if (t.deviceID.startsWith('LCC-')) {
    const status = b['thermostatSetpointStatus'];
    if (status !== undefined) {
      if (typeof status !== 'string' || !HOLDS.includes(status)) return { error: `ThermostatSetpointStatus ${String(status)} is not valid.` };
      if (status === 'HoldUntil' && typeof b['nextPeriodTime'] !== 'string') return { error: "'NextPeriodTime' is required for HoldUntil." };
      values.thermostatSetpointStatus = status;
    }
  } else if (typeof b['autoChangeoverActive'] === 'boolean') {
    values.autoChangeoverActive = b['autoChangeoverActive'];
  }
  return { values };
}

export class LocationStore {
  private readonly locations = new Map<number, FakeLocation>();

  constructor(seeds: readonly LocationSeed[]) {
    for (const seed of seeds) {
      this.locations.set(seed.locationID, {
        locationID: seed.locationID,
        name: seed.name,
        country: 'US',
        zipcode: '55422',
        ianaTimeZone: 'America/Chicago',
        devices: seed.thermostats.map(thermostatFrom),
      });
    }
  }

  all(): FakeLocation[] {
    return [...this.locations.values()];
  }

  location(id: number): FakeLocation | undefined {
    return this.locations.get(id);
  }

  /** A thermostat, if it is at that location (the API needs both, §3). */
  find(deviceId: string, locationId?: number): FakeThermostat | undefined {
    const places = locationId === undefined ? this.all() : [this.locations.get(locationId)].filter((l) => l !== undefined);
    return places.flatMap((l) => l.devices).find((d) => d.deviceID === deviceId);
  }

  rename(deviceId: string, name: string): void {
    const t = this.find(deviceId);
    if (t) {
      t.userDefinedDeviceName = name;
      t.name = name;
    }
  }

  remove(deviceId: string): void {
    for (const location of this.locations.values()) location.devices = location.devices.filter((d) => d.deviceID !== deviceId);
  }
}

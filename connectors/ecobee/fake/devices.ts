import { ecobeeDateTime, type Clock, type RevisionClock } from './clock';
import type { FakeThermostat, FakeThermostatSeed, FanMode, HvacMode, RuntimePatch } from './device-types';

/**
 * The account's thermostats and every change a user, the thermostat or the API makes to them,
 * each moving the revision the API reports for it (§4). No HTTP here: api.ts and server.ts drive
 * it. Section numbers (§) refer to /work/shared/ecobee-api.md.
 */

/** Typical ecobee limits; §3.3 "desiredHeatRange/desiredCoolRange bound holds". */
const HEAT_RANGE: [number, number] = [450, 790];
const COOL_RANGE: [number, number] = [650, 920];

interface ThermostatRecord {
  thermostat: FakeThermostat;
  /** What resumeProgram restores (the seeded setpoints). */
  program: { desiredHeat: number; desiredCool: number };
}

export class ThermostatStore {
  /** Map order is registration order, which is the order the API lists thermostats in. */
  private readonly records = new Map<string, ThermostatRecord>();

  constructor(
    private readonly clock: RevisionClock,
    private readonly now: Clock,
  ) {}

  add(seed: FakeThermostatSeed): void {
    if (this.records.has(seed.identifier)) throw new Error(`thermostat ${seed.identifier} already exists`);
    this.records.set(seed.identifier, this.build(seed));
  }

  remove(identifier: string): void {
    this.record(identifier);
    this.records.delete(identifier);
  }

  has(identifier: string): boolean {
    return this.records.has(identifier);
  }

  identifiers(): string[] {
    return [...this.records.keys()];
  }

  /** A deep copy with the clock fields set to now, as the API would show it. */
  snapshot(identifier: string): FakeThermostat | undefined {
    const record = this.records.get(identifier);
    if (!record) return undefined;
    const copy = structuredClone(record.thermostat);
    copy.utcTime = copy.thermostatTime = ecobeeDateTime(new Date(this.now()));
    return copy;
  }

  rename(identifier: string, name: string): void {
    const t = this.record(identifier).thermostat;
    if (t.name === name) return;
    t.name = name;
    this.touchThermostat(t);
  }

  setHvacMode(identifier: string, mode: HvacMode): void {
    const t = this.record(identifier).thermostat;
    if (t.settings.hvacMode === mode) return;
    t.settings.hvacMode = mode;
    this.touchThermostat(t);
  }

  /**
   * A hold is an Event change, which moves thermostatRev (§4); it also moves the runtime's desired
   * setpoints, so runtimeRev moves too and summary-driven pollers refetch the runtime.
   */
  setHold(identifier: string, hold: { desiredHeat: number; desiredCool: number; fan?: FanMode }): void {
    const t = this.record(identifier).thermostat;
    t.runtime.desiredHeat = hold.desiredHeat;
    t.runtime.desiredCool = hold.desiredCool;
    if (hold.fan) t.runtime.desiredFanMode = hold.fan;
    this.touchThermostat(t);
    this.touchRuntime(t);
  }

  resumeProgram(identifier: string): void {
    this.setHold(identifier, { ...this.record(identifier).program, fan: 'auto' });
  }

  /** Simulates the thermostat reporting in: runtime and equipment changes move runtimeRev (§4). */
  setRuntime(identifier: string, patch: RuntimePatch): void {
    const t = this.record(identifier).thermostat;
    if (patch.actualTemperature !== undefined) t.runtime.actualTemperature = patch.actualTemperature;
    if (patch.actualHumidity !== undefined) t.runtime.actualHumidity = patch.actualHumidity;
    if (patch.equipmentStatus !== undefined) t.equipmentStatus = patch.equipmentStatus;
    if (patch.connected !== undefined) this.setConnected(t, patch.connected);
    this.touchRuntime(t);
  }

  private setConnected(t: FakeThermostat, connected: boolean): void {
    if (t.runtime.connected === connected) return;
    t.runtime.connected = connected;
    const stamp = ecobeeDateTime(new Date(this.now()));
    if (connected) t.runtime.connectDateTime = stamp;
    else t.runtime.disconnectDateTime = stamp;
  }

  private record(identifier: string): ThermostatRecord {
    const record = this.records.get(identifier);
    if (!record) throw new Error(`unknown thermostat ${identifier}`);
    return record;
  }

  private touchThermostat(t: FakeThermostat): void {
    t.thermostatRev = this.clock.next();
    t.lastModified = ecobeeDateTime(new Date(this.now()));
  }

  private touchRuntime(t: FakeThermostat): void {
    t.runtime.runtimeRev = this.clock.next();
    t.runtime.lastModified = t.runtime.lastStatusModified = ecobeeDateTime(new Date(this.now()));
  }

  private build(seed: FakeThermostatSeed): ThermostatRecord {
    const at = new Date(this.now());
    const stamp = ecobeeDateTime(at);
    const desiredHeat = seed.desiredHeat ?? 690;
    const desiredCool = seed.desiredCool ?? 750;
    const connected = seed.connected ?? true;
    const thermostat: FakeThermostat = {
      identifier: seed.identifier,
      name: seed.name,
      thermostatRev: this.clock.next(),
      isRegistered: true,
      modelNumber: seed.modelNumber ?? 'athenaSmart',
      brand: 'ecobee',
      features: 'Home,HomeKit',
      lastModified: stamp,
      thermostatTime: stamp,
      utcTime: stamp,
      runtime: {
        runtimeRev: this.clock.next(),
        connected,
        firstConnected: stamp,
        connectDateTime: stamp,
        disconnectDateTime: connected ? '' : stamp,
        lastModified: stamp,
        lastStatusModified: stamp,
        runtimeDate: stamp.slice(0, 10),
        runtimeInterval: at.getUTCHours() * 12 + Math.floor(at.getUTCMinutes() / 5),
        actualTemperature: seed.actualTemperature ?? 711,
        actualHumidity: seed.actualHumidity ?? 42,
        desiredHeat,
        desiredCool,
        desiredHumidity: 36,
        desiredDehumidity: 60,
        desiredFanMode: 'auto',
        desiredHeatRange: [...HEAT_RANGE],
        desiredCoolRange: [...COOL_RANGE],
      },
      settings: {
        hvacMode: seed.hvacMode ?? 'auto',
        heatRangeHigh: HEAT_RANGE[1],
        heatRangeLow: HEAT_RANGE[0],
        coolRangeHigh: COOL_RANGE[1],
        coolRangeLow: COOL_RANGE[0],
        useCelsius: false,
        heatStages: 1,
        coolStages: 1,
        autoHeatCoolFeatureEnabled: true,
        heatCoolMinDelta: 50,
        hasHeatPump: false,
        hasForcedAir: true,
        hasElectric: false,
        hasBoiler: false,
      },
      equipmentStatus: seed.equipmentStatus ?? '',
      remoteSensors: [],
      alertsRev: this.clock.next(),
      intervalRev: this.clock.next(),
    };
    return { thermostat, program: { desiredHeat, desiredCool } };
  }
}

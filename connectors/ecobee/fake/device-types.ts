/**
 * The thermostat as ecobee shapes it (§3.3), and what tests may seed or change on one. Section
 * numbers (§) refer to /work/shared/ecobee-api.md.
 */

export type HvacMode = 'auto' | 'auxHeatOnly' | 'cool' | 'heat' | 'off';
/** §3.3 Settings: the writable hvacMode values. */
export const HVAC_MODES: readonly HvacMode[] = ['auto', 'auxHeatOnly', 'cool', 'heat', 'off'];

export type FanMode = 'auto' | 'on';

export interface FakeThermostatSeed {
  identifier: string;
  name: string;
  modelNumber?: string;
  /** °F × 10 (§3.3 Units). */
  actualTemperature?: number;
  actualHumidity?: number;
  /** °F × 10; also the thermostat's program values that resumeProgram goes back to. */
  desiredHeat?: number;
  desiredCool?: number;
  hvacMode?: HvacMode;
  /** CSV of running equipment (§3.3 equipmentStatus), '' when idle. */
  equipmentStatus?: string;
  connected?: boolean;
}

export interface FakeRuntime {
  runtimeRev: string;
  connected: boolean;
  firstConnected: string;
  connectDateTime: string;
  disconnectDateTime: string;
  lastModified: string;
  lastStatusModified: string;
  runtimeDate: string;
  runtimeInterval: number;
  actualTemperature: number;
  actualHumidity: number;
  desiredHeat: number;
  desiredCool: number;
  desiredHumidity: number;
  desiredDehumidity: number;
  desiredFanMode: FanMode;
  desiredHeatRange: [number, number];
  desiredCoolRange: [number, number];
}

export interface FakeSettings {
  hvacMode: HvacMode;
  heatRangeHigh: number;
  heatRangeLow: number;
  coolRangeHigh: number;
  coolRangeLow: number;
  useCelsius: boolean;
  heatStages: number;
  coolStages: number;
  autoHeatCoolFeatureEnabled: boolean;
  heatCoolMinDelta: number;
  hasHeatPump: boolean;
  hasForcedAir: boolean;
  hasElectric: boolean;
  hasBoiler: boolean;
}

/** §3.3 remoteSensors: capability values are always strings. */
export interface FakeRemoteSensor {
  id: string;
  name: string;
  type: string;
  code?: string;
  inUse: boolean;
  capability: { id: string; type: string; value: string }[];
}

/** A thermostat in ecobee's shape (§3.3), plus the summary-only revisions (§4). */
export interface FakeThermostat {
  identifier: string;
  name: string;
  thermostatRev: string;
  isRegistered: boolean;
  modelNumber: string;
  brand: 'ecobee';
  features: string;
  lastModified: string;
  thermostatTime: string;
  utcTime: string;
  runtime: FakeRuntime;
  settings: FakeSettings;
  equipmentStatus: string;
  remoteSensors: FakeRemoteSensor[];
  /** Only ever shown in /1/thermostatSummary's revisionList (§4). */
  alertsRev: string;
  intervalRev: string;
}

export interface RuntimePatch {
  actualTemperature?: number;
  actualHumidity?: number;
  equipmentStatus?: string;
  connected?: boolean;
}

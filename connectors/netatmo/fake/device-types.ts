/**
 * Homes, rooms and modules as the Netatmo API shows them (§2.3, §2.4), and what tests may seed or
 * change on them. Section numbers (§) refer to /work/shared/netatmo-api.md.
 */

/** §2.4: what homestatus reports per room. */
export type RoomMode = 'manual' | 'max' | 'off' | 'home' | 'hg' | 'schedule' | 'away';
/** §2.5: what setroomthermpoint takes. */
export type SetpointMode = 'manual' | 'max' | 'home' | 'off';
/** §2.5: what setthermmode takes. */
export type HomeMode = 'schedule' | 'away' | 'hg';
export type HeatingModuleType = 'NATherm1' | 'NRV';

export const SETPOINT_MODES: readonly SetpointMode[] = ['manual', 'max', 'home', 'off'];
export const HOME_MODES: readonly HomeMode[] = ['schedule', 'away', 'hg'];

/** HA's bounds for Netatmo setpoints (§2.5): 7 °C frost guard, 30 °C maximum. */
export const MIN_TEMP = 7;
export const MAX_TEMP = 30;

export interface FakeModuleSeed {
  id: string;
  type: HeatingModuleType;
  name: string;
  /** Millivolts (§2.4); NATherm1 runs on 3 AAA cells, NRV on 2 AA. */
  batteryLevel?: number;
  reachable?: boolean;
}

export interface FakeRoomSeed {
  id: string;
  name: string;
  type?: string;
  modules: FakeModuleSeed[];
  measuredTemperature?: number;
  /** What the room's schedule asks for right now. */
  scheduleTemperature?: number;
}

export interface FakeHomeSeed {
  id: string;
  name: string;
  /** The NAPlug relay that bridges the home's modules (§2.3). */
  relay: { id: string; name: string };
  rooms: FakeRoomSeed[];
  thermMode?: HomeMode;
}

export interface FakeModule {
  id: string;
  type: HeatingModuleType | 'NAPlug';
  name: string;
  roomId?: string;
  bridge?: string;
  reachable: boolean;
  batteryLevel?: number;
  batteryState?: 'full' | 'high' | 'medium' | 'low';
  firmwareRevision: number;
  rfStrength: number;
}

export interface FakeRoom {
  id: string;
  name: string;
  type: string;
  moduleIds: string[];
  measuredTemperature: number;
  /** The effective setpoint now: the override's, the home mode's, or the schedule's. */
  setpoint: number;
  mode: RoomMode;
  /** Unix seconds; 0 when not bounded. */
  setpointStartTime: number;
  setpointEndTime: number;
  reachable: boolean;
}

export interface FakeHome {
  id: string;
  name: string;
  thermMode: HomeMode;
  /** Unix seconds; 0 when the mode has no end. */
  thermModeEndTime: number;
  hgTemp: number;
  awayTemp: number;
  /** Minutes a manual setpoint lasts when no endtime is given (§2.5). */
  defaultDurationMin: number;
  rooms: FakeRoom[];
  modules: FakeModule[];
}

export interface RoomStatePatch {
  measuredTemperature?: number;
  scheduleTemperature?: number;
}

export interface ModuleStatePatch {
  reachable?: boolean;
  batteryLevel?: number;
}

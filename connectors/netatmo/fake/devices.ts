import { seconds, type Clock } from './clock';
import { homeView } from './device-views';
import {
  MAX_TEMP,
  MIN_TEMP,
  type FakeHome,
  type FakeHomeSeed,
  type FakeModule,
  type FakeRoomSeed,
  type HomeMode,
  type ModuleStatePatch,
  type RoomStatePatch,
  type SetpointMode,
} from './device-types';

/**
 * The user's homes, rooms and modules, and every change a user or the API makes to them. What the
 * API shows is derived at read time (device-views.ts), because overrides and home modes expire
 * with the clock. No HTTP here. Section numbers (§) refer to /work/shared/netatmo-api.md.
 */

interface Override {
  mode: 'manual' | 'max' | 'off';
  temp: number;
  start: number;
  /** Unix seconds; 0 = until changed. */
  end: number;
}

export interface RoomRecord {
  id: string;
  name: string;
  type: string;
  moduleIds: string[];
  measuredTemperature: number;
  scheduleTemperature: number;
  override?: Override;
}

/** What the store keeps of a module; the rest of FakeModule is derived when it is read. */
export type ModuleRecord = Omit<FakeModule, 'batteryState' | 'firmwareRevision' | 'rfStrength'>;

export interface HomeRecord {
  id: string;
  name: string;
  relayId: string;
  thermMode: HomeMode;
  thermModeEnd: number;
  thermModeStart: number;
  hgTemp: number;
  awayTemp: number;
  defaultDurationMin: number;
  rooms: Map<string, RoomRecord>;
  modules: Map<string, ModuleRecord>;
}

export class HomeNotFoundError extends Error {}

export class HomeStore {
  /** Map order is the order homesdata lists homes, rooms and modules in. */
  private readonly homes = new Map<string, HomeRecord>();

  constructor(private readonly now: Clock) {}

  add(seed: FakeHomeSeed): void {
    if (this.homes.has(seed.id)) throw new Error(`home ${seed.id} already exists`);
    const home: HomeRecord = {
      id: seed.id,
      name: seed.name,
      relayId: seed.relay.id,
      thermMode: seed.thermMode ?? 'schedule',
      thermModeEnd: 0,
      thermModeStart: 0,
      hgTemp: MIN_TEMP,
      awayTemp: 14,
      defaultDurationMin: 180,
      rooms: new Map(),
      modules: new Map([[seed.relay.id, { id: seed.relay.id, type: 'NAPlug', name: seed.relay.name, reachable: true }]]),
    };
    this.homes.set(seed.id, home);
    for (const room of seed.rooms) this.addRoom(seed.id, room);
  }

  ids(): string[] {
    return [...this.homes.keys()];
  }

  has(homeId: string): boolean {
    return this.homes.has(homeId);
  }

  hasRoom(homeId: string, roomId: string): boolean {
    return this.homes.get(homeId)?.rooms.has(roomId) ?? false;
  }

  addRoom(homeId: string, seed: FakeRoomSeed): void {
    const home = this.home(homeId);
    if (home.rooms.has(seed.id)) throw new Error(`room ${seed.id} already exists in home ${homeId}`);
    home.rooms.set(seed.id, {
      id: seed.id,
      name: seed.name,
      type: seed.type ?? 'custom',
      moduleIds: seed.modules.map((m) => m.id),
      measuredTemperature: seed.measuredTemperature ?? 19.5,
      scheduleTemperature: seed.scheduleTemperature ?? 19,
    });
    for (const m of seed.modules) {
      const record: ModuleRecord = {
        id: m.id,
        type: m.type,
        name: m.name,
        roomId: seed.id,
        bridge: home.relayId,
        reachable: m.reachable ?? true,
        batteryLevel: m.batteryLevel ?? (m.type === 'NATherm1' ? 3793 : 3025),
      };
      home.modules.set(m.id, record);
    }
  }

  /** The room and the modules in it disappear, as when a user deletes a room with its devices. */
  removeRoom(homeId: string, roomId: string): void {
    const home = this.home(homeId);
    const room = this.room(home, roomId);
    for (const id of room.moduleIds) home.modules.delete(id);
    home.rooms.delete(roomId);
  }

  /** §2.3: names live in homesdata only. */
  renameRoom(homeId: string, roomId: string, name: string): void {
    this.room(this.home(homeId), roomId).name = name;
  }

  setRoomState(homeId: string, roomId: string, patch: RoomStatePatch): void {
    const room = this.room(this.home(homeId), roomId);
    if (patch.measuredTemperature !== undefined) room.measuredTemperature = patch.measuredTemperature;
    if (patch.scheduleTemperature !== undefined) room.scheduleTemperature = patch.scheduleTemperature;
  }

  setModuleState(moduleId: string, patch: ModuleStatePatch): void {
    const module = [...this.homes.values()].map((h) => h.modules.get(moduleId)).find((m) => m !== undefined);
    if (!module) throw new Error(`unknown module ${moduleId}`);
    if (patch.reachable !== undefined) module.reachable = patch.reachable;
    if (patch.batteryLevel !== undefined) module.batteryLevel = patch.batteryLevel;
  }

  /** Whether `max` is allowed: "max mode can only be applied on thermostat room" (§2.5). */
  hasThermostat(homeId: string, roomId: string): boolean {
    const home = this.home(homeId);
    return this.room(home, roomId).moduleIds.some((id) => home.modules.get(id)?.type === 'NATherm1');
  }

  /** setroomthermpoint: `home` drops the override (back to the home's mode); the others set one. */
  setRoomSetpoint(homeId: string, roomId: string, mode: SetpointMode, temp: number | undefined, endTime: number | undefined): void {
    const home = this.home(homeId);
    const room = this.room(home, roomId);
    if (mode === 'home') {
      delete room.override;
      return;
    }
    const start = seconds(this.now());
    const end = mode === 'off' ? 0 : (endTime ?? start + home.defaultDurationMin * 60);
    const value = mode === 'manual' ? (temp ?? room.scheduleTemperature) : mode === 'max' ? MAX_TEMP : MIN_TEMP;
    room.override = { mode, temp: value, start, end };
  }

  /** setthermmode: a home mode resets every room's manual setpoint. */
  setThermMode(homeId: string, mode: HomeMode, endTime: number | undefined): void {
    const home = this.home(homeId);
    home.thermMode = mode;
    home.thermModeStart = seconds(this.now());
    home.thermModeEnd = mode === 'schedule' ? 0 : (endTime ?? 0);
    for (const room of home.rooms.values()) delete room.override;
  }

  /** A deep copy with setpoints resolved at the current time, as the API would show them. */
  snapshot(homeId: string): FakeHome | undefined {
    const home = this.homes.get(homeId);
    return home ? homeView(home, seconds(this.now())) : undefined;
  }

  relayId(homeId: string): string {
    return this.home(homeId).relayId;
  }

  private home(homeId: string): HomeRecord {
    const home = this.homes.get(homeId);
    if (!home) throw new HomeNotFoundError(`unknown home ${homeId}`);
    return home;
  }

  private room(home: HomeRecord, roomId: string): RoomRecord {
    const room = home.rooms.get(roomId);
    if (!room) throw new HomeNotFoundError(`unknown room ${roomId} in home ${home.id}`);
    return room;
  }
}

import type { FakeHome, FakeModule, FakeRoom, HeatingModuleType, HomeMode, RoomMode } from './device-types';
import type { HomeRecord, ModuleRecord } from './devices';

/**
 * A home as the API shows it at a given second. Computed on every read rather than stored because
 * overrides and home modes lapse with time and nothing in the fake runs a timer to expire them.
 * Section numbers (§) refer to /work/shared/netatmo-api.md.
 */

export function homeView(home: HomeRecord, nowS: number): FakeHome {
  const thermMode = effectiveHomeMode(home, nowS);
  const modules = [...home.modules.values()].map((m) => moduleView(m));
  const rooms = [...home.rooms.values()].map((room): FakeRoom => {
    const override = room.override && (room.override.end === 0 || room.override.end > nowS) ? room.override : undefined;
    const byHome: { mode: RoomMode; temp: number } =
      thermMode === 'away'
        ? { mode: 'away', temp: home.awayTemp }
        : thermMode === 'hg'
          ? { mode: 'hg', temp: home.hgTemp }
          : { mode: 'schedule', temp: room.scheduleTemperature };
    const inRoom = modules.filter((m) => room.moduleIds.includes(m.id));
    return {
      id: room.id,
      name: room.name,
      type: room.type,
      moduleIds: [...room.moduleIds],
      measuredTemperature: room.measuredTemperature,
      setpoint: override?.temp ?? byHome.temp,
      mode: override?.mode ?? byHome.mode,
      setpointStartTime: override?.start ?? (thermMode === 'schedule' ? 0 : home.thermModeStart),
      setpointEndTime: override?.end ?? (thermMode === 'schedule' ? 0 : home.thermModeEnd),
      reachable: inRoom.some((m) => m.reachable),
    };
  });
  return {
    id: home.id,
    name: home.name,
    thermMode,
    thermModeEndTime: thermMode === 'schedule' ? 0 : home.thermModeEnd,
    hgTemp: home.hgTemp,
    awayTemp: home.awayTemp,
    defaultDurationMin: home.defaultDurationMin,
    rooms,
    modules,
  };
}

function effectiveHomeMode(home: HomeRecord, nowS: number): HomeMode {
  return home.thermModeEnd !== 0 && home.thermModeEnd <= nowS ? 'schedule' : home.thermMode;
}

function moduleView(m: ModuleRecord): FakeModule {
  const view: FakeModule = {
    id: m.id,
    type: m.type,
    name: m.name,
    reachable: m.reachable,
    firmwareRevision: m.type === 'NAPlug' ? 174 : m.type === 'NATherm1' ? 65 : 79,
    rfStrength: m.type === 'NAPlug' ? 107 : 58,
  };
  if (m.roomId !== undefined) view.roomId = m.roomId;
  if (m.bridge !== undefined) view.bridge = m.bridge;
  if (m.batteryLevel !== undefined && m.type !== 'NAPlug') {
    view.batteryLevel = m.batteryLevel;
    view.batteryState = batteryState(m.type, m.batteryLevel);
  }
  return view;
}

/** battery_state from millivolts [I: thresholds modelled on pyatmo's battery levels]. */
export function batteryState(type: HeatingModuleType, mv: number): 'full' | 'high' | 'medium' | 'low' {
  const [full, high, medium] = type === 'NATherm1' ? [4100, 3600, 3300] : [3000, 2800, 2600];
  if (mv >= full) return 'full';
  if (mv >= high) return 'high';
  if (mv >= medium) return 'medium';
  return 'low';
}

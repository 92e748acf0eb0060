import type { Attributes, DeviceSnapshot, DiscoveredDevice } from '../../src/connectors/sdk';
import type { Home, HomeStatus } from './api';

/**
 * One child device per room that has a thermostat (NATherm1) or a valve (NRV). Modules are not
 * devices of their own: a valve's only user-facing state is its room's, and its battery is folded
 * into the room (the weakest battery wins).
 */
const HEATING_MODULES = new Set(['NATherm1', 'NRV', 'OTM', 'BNS']);

/** Room ids are unique within a home only (§2.3), so the device id carries both. */
export function roomExternalId(homeId: string, roomId: string): string {
  return `${homeId}.${roomId}`;
}

export function splitExternalId(externalId: string): { homeId: string; roomId: string } | undefined {
  const dot = externalId.lastIndexOf('.');
  if (dot <= 0 || dot === externalId.length - 1) return undefined;
  return { homeId: externalId.slice(0, dot), roomId: externalId.slice(dot + 1) };
}

function roomType(home: Home, moduleIds: readonly string[]): 'thermostat' | 'valve' | undefined {
  const types = home.modules.filter((m) => moduleIds.includes(m.id)).map((m) => m.type);
  if (types.includes('NATherm1') || types.includes('OTM') || types.includes('BNS')) return 'thermostat';
  if (types.includes('NRV')) return 'valve';
  return undefined;
}

function roomModuleIds(home: Home, room: Home['rooms'][number]): string[] {
  const fromModules = home.modules.filter((m) => m.room_id === room.id).map((m) => m.id);
  return [...new Set([...room.module_ids, ...fromModules])];
}

export function discoverHome(home: Home): DiscoveredDevice[] {
  return home.rooms.flatMap((room) => {
    const type = roomType(home, roomModuleIds(home, room));
    return type ? [{ externalId: roomExternalId(home.id, room.id), name: room.name || `Room ${room.id}`, type }] : [];
  });
}

const BATTERY_ORDER = ['low', 'medium', 'high', 'full'];

export function snapshotHome(home: Home, status: HomeStatus): DeviceSnapshot[] {
  const unreachable = new Set((status.errors ?? []).filter((e) => e.code === 6).map((e) => e.id));
  return discoverHome(home).flatMap((device) => {
    const roomId = splitExternalId(device.externalId)?.roomId ?? '';
    const room = home.rooms.find((r) => r.id === roomId);
    const state = status.home.rooms.find((r) => r.id === roomId);
    const ids = room ? roomModuleIds(home, room) : [];
    const typeOf = (id: string) => home.modules.find((x) => x.id === id)?.type ?? '';
    const modules = status.home.modules.filter((m) => ids.includes(m.id) && HEATING_MODULES.has(m.type ?? typeOf(m.id)));
    const levels = modules.map((m) => m.battery_level).filter((v): v is number => typeof v === 'number');
    const states = modules.map((m) => m.battery_state).filter((v): v is string => typeof v === 'string');
    const weakest = states.sort((a, b) => BATTERY_ORDER.indexOf(a) - BATTERY_ORDER.indexOf(b))[0];
    const anyUnreachable = ids.some((id) => unreachable.has(id));
    const attributes: Attributes = {
      temperature: state?.therm_measured_temperature ?? null,
      heatingSetpoint: state?.therm_setpoint_temperature ?? null,
      setpointMode: state?.therm_setpoint_mode ?? null,
      homeMode: home.therm_mode ?? null,
      reachable: anyUnreachable ? false : (state?.reachable ?? null),
      batteryState: weakest ?? null,
      batteryLevel: levels.length ? Math.min(...levels) : null,
      temperatureUnit: 'C',
    };
    return [{ ...device, attributes }];
  });
}

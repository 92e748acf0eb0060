import { z } from 'zod';
import type { Attributes, DeviceSnapshot, DiscoveredDevice } from '../../src/connectors/sdk';
import type { Location, Thermostat } from './api';

/**
 * One child device per thermostat. A Honeywell device is addressed by its deviceID *and* its
 * location (§3): the location id travels as the device's context, not inside the external id.
 */
export const deviceContext = z.object({ locationId: z.number().int() });
export type HoneywellContext = z.infer<typeof deviceContext>;

/** LCC- (Lyric, T-series) and TCC- (Total Connect Comfort) devices take different bodies (§4, §7). */
export type Family = 'LCC' | 'TCC';

export function familyOf(deviceId: string): Family {
  return deviceId.startsWith('TCC-') ? 'TCC' : 'LCC';
}

export function unitOf(thermostat: Pick<Thermostat, 'units'>): 'F' | 'C' {
  return thermostat.units === 'Celsius' ? 'C' : 'F';
}

function nameOf(t: Thermostat): string {
  return t.userDefinedDeviceName || t.name || t.deviceID;
}

export function toDiscovered(location: Location): DiscoveredDevice[] {
  return location.thermostats.map((t) => ({
    externalId: t.deviceID,
    name: nameOf(t),
    type: 'thermostat',
    context: { locationId: location.locationID },
  }));
}

/** Temperatures and setpoints in the device's own units, with the unit named (§7). */
export function toSnapshot(location: Location, t: Thermostat): DeviceSnapshot {
  const cv = t.changeableValues;
  const attributes: Attributes = {
    temperatureUnit: unitOf(t),
    temperature: t.indoorTemperature ?? null,
    humidity: t.indoorHumidity ?? null,
    outdoorTemperature: t.outdoorTemperature ?? null,
    thermostatMode: cv.mode,
    autoChangeover: cv.autoChangeoverActive ?? null,
    heatingSetpoint: cv.heatSetpoint,
    coolingSetpoint: cv.coolSetpoint,
    holdStatus: cv.thermostatSetpointStatus ?? null,
    operatingState: t.operationStatus?.mode ?? null,
    reachable: t.isAlive ?? null,
    model: t.deviceModel ?? null,
    family: familyOf(t.deviceID),
  };
  return { externalId: t.deviceID, name: nameOf(t), type: 'thermostat', context: { locationId: location.locationID }, attributes };
}

export function snapshotAll(locations: readonly Location[]): DeviceSnapshot[] {
  return locations.flatMap((location) => location.thermostats.map((t) => toSnapshot(location, t)));
}

import type { Attributes, DeviceSnapshot, DiscoveredDevice } from '../../src/connectors/sdk';
import type { Thermostat, ThermostatSummary } from './api';

/** °F × 10 integers (ecobee's unit, §3.3) → °F with one decimal. */
export function tenthsToF(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value) / 10;
}

/** °F (one decimal) → ecobee's °F × 10 integer. */
export function fToTenths(value: number): number {
  return Math.round(value * 10);
}

/** ST's fallback when a thermostat has no name (ecobee-connect.groovy, §7). */
export function displayName(t: Pick<Thermostat, 'identifier' | 'name' | 'modelNumber'>): string {
  if (t.name.trim()) return t.name;
  return t.modelNumber === 'siSmart' ? `Smart Si (${t.identifier})` : `Smart (${t.identifier})`;
}

/** equipmentStatus CSV (§3.3) → one operating state. */
export function operatingState(equipmentStatus: string | undefined): string {
  const running = (equipmentStatus ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (running.some((e) => e.startsWith('heatPump') || e.startsWith('auxHeat'))) return 'heating';
  if (running.some((e) => e.startsWith('compCool'))) return 'cooling';
  if (running.includes('fan')) return 'fan only';
  return 'idle';
}

export function toDiscovered(t: Thermostat): DiscoveredDevice {
  return { externalId: t.identifier, name: displayName(t), type: 'thermostat' };
}

export function toSnapshot(t: Thermostat): DeviceSnapshot {
  const attributes: Attributes = {
    temperature: tenthsToF(t.runtime?.actualTemperature),
    humidity: t.runtime?.actualHumidity ?? null,
    heatingSetpoint: tenthsToF(t.runtime?.desiredHeat),
    coolingSetpoint: tenthsToF(t.runtime?.desiredCool),
    thermostatMode: t.settings?.hvacMode ?? null,
    operatingState: operatingState(t.equipmentStatus),
    connected: t.runtime?.connected ?? null,
    temperatureUnit: 'F',
  };
  return { ...toDiscovered(t), attributes };
}

/**
 * The change marker for summary-driven polling (§4): every thermostat's revisions and running
 * equipment, order-independent. Equal strings mean nothing changed; revisions are compared as
 * opaque strings, as ecobee asks.
 */
export function summaryCursor(summary: ThermostatSummary): string {
  const revisions = [...summary.revisionList].sort();
  const statuses = [...(summary.statusList ?? [])].sort();
  return `${summary.thermostatCount}|${revisions.join('|')}|${statuses.join('|')}`;
}

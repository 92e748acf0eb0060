import type { FakeThermostat } from './device-types';
import type { ThermostatStore } from './devices';
import { ApiError } from './api-status';

/**
 * What a /1/* request asks for: its JSON document (§3.1, §5) and the thermostats its selection
 * names (§3.2). Every bad input is an ApiError carrying ecobee's status code (§6).
 */

export interface ApiRequest {
  method: string;
  query: URLSearchParams;
  body: string;
}

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * §3.1: GETs carry the JSON in `?json=` or `?format=json&body=`; §5: POSTs in the body, raw or
 * URL-encoded (the docs' example encodes it).
 */
export function requestObject(req: ApiRequest): JsonObject {
  const raw = req.method === 'POST' ? req.body : (req.query.get('json') ?? req.query.get('body'));
  if (raw === null || raw.trim() === '') throw new ApiError(5);
  const parsed = parseJson(raw);
  if (!isObject(parsed)) throw new ApiError(5);
  return parsed;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    try {
      return JSON.parse(decodeURIComponent(raw));
    } catch {
      throw new ApiError(4);
    }
  }
}

export interface Include {
  runtime: boolean;
  settings: boolean;
  equipmentStatus: boolean;
  sensors: boolean;
}

interface Selection {
  identifiers: string[];
  include: Include;
}

/** §3.1: PEA sends include flags as "true" strings, and that works live. */
const flag = (value: unknown): boolean => value === true || value === 'true';

/** §3.2. */
export function parseSelection(store: ThermostatStore, request: JsonObject): Selection {
  const selection = request['selection'];
  if (!isObject(selection)) throw new ApiError(5);
  return {
    identifiers: selectIdentifiers(store, selection),
    include: {
      runtime: flag(selection['includeRuntime']),
      settings: flag(selection['includeSettings']),
      equipmentStatus: flag(selection['includeEquipmentStatus']),
      sensors: flag(selection['includeSensors']),
    },
  };
}

function selectIdentifiers(store: ThermostatStore, selection: JsonObject): string[] {
  switch (selection['selectionType']) {
    case 'registered': // "match is not used"
      return store.identifiers();
    case 'thermostats':
      return matchIdentifiers(store, selection['selectionMatch']);
    default: // includes managementSet: this fake is a Smart (consumer) account
      throw new ApiError(9);
  }
}

function matchIdentifiers(store: ThermostatStore, match: unknown): string[] {
  if (typeof match !== 'string') throw new ApiError(9);
  const requested = match.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (requested.length === 0) throw new ApiError(9);
  if (requested.length > 25) throw new ApiError(6); // "a limit of 25 identifiers per request"
  // §6 code 2 is also what ecobee answers for identifiers the account doesn't have.
  if (requested.some((id) => !store.has(id))) throw new ApiError(2);
  return store.identifiers().filter((id) => requested.includes(id));
}

/** Everything fits on page 1; asking for another page is code 10. */
export function checkPage(request: JsonObject): void {
  const page = request['page'];
  if (page === undefined) return;
  if (!isObject(page)) throw new ApiError(5);
  if (page['page'] !== undefined && page['page'] !== 1) throw new ApiError(10);
}

export function thermostatOf(store: ThermostatStore, identifier: string): FakeThermostat {
  const thermostat = store.snapshot(identifier);
  if (!thermostat) throw new ApiError(2);
  return thermostat;
}

import { json, type Reply } from '../../../src/connectors/fake-cloud';
import { HVAC_MODES, type FakeThermostat, type FanMode, type HvacMode, type ThermostatStore, type TokenStore } from './state';

/** The fake's /1/thermostat and /1/thermostatSummary (ecobee-api.md §3-§6). */

/** §6, verbatim. */
const STATUS_MESSAGES = {
  0: '',
  1: 'Authentication failed.',
  2: 'Not authorized.',
  3: 'Processing error.',
  4: 'Serialization error.',
  5: 'Invalid request format.',
  6: 'Too many thermostat in selection match criteria.',
  7: 'Validation error.',
  8: 'Invalid function.',
  9: 'Invalid selection.',
  10: 'Invalid page.',
  11: 'Function error.',
  12: 'Post not supported for request.',
  13: 'Get not supported for request.',
  14: 'Authentication token has expired. Refresh your tokens.',
  15: 'Duplicate data violation.',
  16: 'Invalid token. Token has been deauthorized by user. You must re-request authorization.',
} as const;

export type StatusCode = keyof typeof STATUS_MESSAGES;

export const statusObject = (code: StatusCode): { code: StatusCode; message: string } => ({
  code,
  message: STATUS_MESSAGES[code],
});

/** §6: non-zero codes come with HTTP 500 (what PEA, ST and SUITE key on). */
export const apiStatus = (code: StatusCode): Reply => json(code === 0 ? 200 : 500, { status: statusObject(code) });

class ApiError extends Error {
  constructor(readonly code: StatusCode) {
    super(STATUS_MESSAGES[code]);
  }
}

export interface ApiRequest {
  method: string;
  query: URLSearchParams;
  body: string;
}

/** Bearer check shared by every /1/* route; undefined means the token is good. */
export function authenticate(tokens: TokenStore, authorization: string | undefined): Reply | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  switch (bearer === undefined ? 'unknown' : tokens.checkAccess(bearer)) {
    case 'ok':
      return undefined;
    case 'unknown':
      return apiStatus(1);
    case 'expired':
      return apiStatus(14);
    case 'revoked':
      return apiStatus(16);
  }
}

export function thermostatEndpoint(store: ThermostatStore, req: ApiRequest): Reply {
  return guarded(() => {
    const request = requestObject(req);
    return req.method === 'POST' ? updateThermostats(store, request) : listThermostats(store, request);
  });
}

export function summaryEndpoint(store: ThermostatStore, req: ApiRequest): Reply {
  if (req.method !== 'GET') return apiStatus(12);
  return guarded(() => summarize(store, requestObject(req)));
}

function guarded(handle: () => Reply): Reply {
  try {
    return handle();
  } catch (error) {
    if (error instanceof ApiError) return apiStatus(error.code);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Request decoding

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * §3.1: GETs carry the JSON in `?json=` or `?format=json&body=`; §5: POSTs in the body, raw or
 * URL-encoded (the docs' example encodes it).
 */
function requestObject(req: ApiRequest): JsonObject {
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

interface Include {
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
function parseSelection(store: ThermostatStore, request: JsonObject): Selection {
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
function checkPage(request: JsonObject): void {
  const page = request['page'];
  if (page === undefined) return;
  if (!isObject(page)) throw new ApiError(5);
  if (page['page'] !== undefined && page['page'] !== 1) throw new ApiError(10);
}

function thermostatOf(store: ThermostatStore, identifier: string): FakeThermostat {
  const thermostat = store.snapshot(identifier);
  if (!thermostat) throw new ApiError(2);
  return thermostat;
}

const OK = { code: 0, message: '' };

// ---------------------------------------------------------------------------------------------
// GET /1/thermostat (§3)

function listThermostats(store: ThermostatStore, request: JsonObject): Reply {
  const { identifiers, include } = parseSelection(store, request);
  checkPage(request);
  const list = identifiers.map((id) => render(thermostatOf(store, id), include));
  return json(200, {
    page: { page: 1, totalPages: 1, pageSize: list.length, total: list.length },
    thermostatList: list,
    status: OK,
  });
}

/** Sub-objects only when their include flag is set (§3.2: all default to false). */
function render(t: FakeThermostat, include: Include): JsonObject {
  return {
    identifier: t.identifier,
    name: t.name,
    thermostatRev: t.thermostatRev,
    isRegistered: t.isRegistered,
    modelNumber: t.modelNumber,
    brand: t.brand,
    features: t.features,
    lastModified: t.lastModified,
    thermostatTime: t.thermostatTime,
    utcTime: t.utcTime,
    ...(include.settings ? { settings: t.settings } : {}),
    ...(include.runtime ? { runtime: t.runtime } : {}),
    ...(include.equipmentStatus ? { equipmentStatus: t.equipmentStatus } : {}),
    ...(include.sensors ? { remoteSensors: t.remoteSensors } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// GET /1/thermostatSummary (§4)

function summarize(store: ThermostatStore, request: JsonObject): Reply {
  const { identifiers, include } = parseSelection(store, request);
  const thermostats = identifiers.map((id) => thermostatOf(store, id));
  const revisionList = thermostats.map((t) =>
    [t.identifier, t.name, t.runtime.connected, t.thermostatRev, t.alertsRev, t.runtime.runtimeRev, t.intervalRev].join(':'),
  );
  const statusList = thermostats.map((t) => `${t.identifier}:${t.equipmentStatus}`);
  return json(200, {
    thermostatCount: thermostats.length,
    revisionList,
    ...(include.equipmentStatus ? { statusList } : {}),
    status: OK,
  });
}

// ---------------------------------------------------------------------------------------------
// POST /1/thermostat (§5)

interface ThermostatUpdate {
  name?: string;
  hvacMode?: HvacMode;
}

type Operation =
  | { type: 'setHold'; desiredHeat: number; desiredCool: number; fan?: FanMode }
  | { type: 'resumeProgram' };

/**
 * Everything is validated for every selected thermostat before anything is applied, so a
 * rejected request leaves the state untouched. Functions run in listed order (§5).
 */
function updateThermostats(store: ThermostatStore, request: JsonObject): Reply {
  const { identifiers } = parseSelection(store, request);
  const update = parseUpdate(request['thermostat']);
  const functions = request['functions'] ?? [];
  if (!Array.isArray(functions)) throw new ApiError(5);
  const plans = identifiers.map((id) => {
    const thermostat = thermostatOf(store, id);
    return { id, operations: functions.map((fn: unknown) => parseFunction(fn, thermostat)) };
  });
  for (const { id, operations } of plans) {
    if (update.name !== undefined) store.rename(id, update.name);
    if (update.hvacMode !== undefined) store.setHvacMode(id, update.hvacMode);
    for (const op of operations) apply(store, id, op);
  }
  return apiStatus(0);
}

function apply(store: ThermostatStore, id: string, op: Operation): void {
  if (op.type === 'resumeProgram') return store.resumeProgram(id);
  const { desiredHeat, desiredCool, fan } = op;
  store.setHold(id, fan ? { desiredHeat, desiredCool, fan } : { desiredHeat, desiredCool });
}

/** Only `name` and `settings.hvacMode` are modelled; other writable properties are ignored. */
function parseUpdate(thermostat: unknown): ThermostatUpdate {
  if (thermostat === undefined) return {};
  if (!isObject(thermostat)) throw new ApiError(5);
  const update: ThermostatUpdate = {};
  const name = thermostat['name'];
  if (name !== undefined) {
    if (typeof name !== 'string') throw new ApiError(7);
    update.name = name;
  }
  const settings = thermostat['settings'];
  if (settings !== undefined) {
    if (!isObject(settings)) throw new ApiError(5);
    const mode = settings['hvacMode'];
    if (mode !== undefined) {
      if (!HVAC_MODES.includes(mode as HvacMode)) throw new ApiError(7);
      update.hvacMode = mode as HvacMode;
    }
  }
  return update;
}

function parseFunction(fn: unknown, thermostat: FakeThermostat): Operation {
  if (!isObject(fn)) throw new ApiError(5);
  switch (fn['type']) {
    case 'setHold':
      return parseSetHold(fn['params'], thermostat);
    case 'resumeProgram':
      return parseResumeProgram(fn['params']);
    default:
      throw new ApiError(8);
  }
}

const HOLD_TYPES = ['dateTime', 'nextTransition', 'indefinite', 'holdHours'];
const FAN_MODES: readonly FanMode[] = ['auto', 'on'];

const isTenthsOfDegree = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/**
 * §5 setHold: both temperatures required (holdClimateRef is not modelled), °F × 10 integers
 * inside the thermostat's ranges, heat not above cool. Missing parameters are a function error
 * (11); bad values a validation error (7).
 */
function parseSetHold(params: unknown, t: FakeThermostat): Operation {
  if (!isObject(params)) throw new ApiError(11);
  const heat = params['heatHoldTemp'];
  const cool = params['coolHoldTemp'];
  if (heat === undefined || cool === undefined) throw new ApiError(11);
  if (!isTenthsOfDegree(heat) || !isTenthsOfDegree(cool)) throw new ApiError(7);
  const s = t.settings;
  const inRange = heat >= s.heatRangeLow && heat <= s.heatRangeHigh && cool >= s.coolRangeLow && cool <= s.coolRangeHigh;
  if (!inRange || heat > cool) throw new ApiError(7);
  checkHoldType(params);
  const fan = params['fan'];
  if (fan === undefined) return { type: 'setHold', desiredHeat: heat, desiredCool: cool };
  if (!FAN_MODES.includes(fan as FanMode)) throw new ApiError(7);
  return { type: 'setHold', desiredHeat: heat, desiredCool: cool, fan: fan as FanMode };
}

function checkHoldType(params: JsonObject): void {
  const holdType = params['holdType'] ?? 'indefinite';
  if (typeof holdType !== 'string' || !HOLD_TYPES.includes(holdType)) throw new ApiError(7);
  if (holdType !== 'holdHours') return;
  const hours = params['holdHours'];
  if (hours === undefined) throw new ApiError(11);
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1) throw new ApiError(7);
}

function parseResumeProgram(params: unknown): Operation {
  if (params === undefined) return { type: 'resumeProgram' };
  if (!isObject(params)) throw new ApiError(11);
  const resumeAll = params['resumeAll'];
  if (resumeAll !== undefined && typeof resumeAll !== 'boolean') throw new ApiError(7);
  return { type: 'resumeProgram' };
}

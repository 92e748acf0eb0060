import { activationPush, setpointPushes, thermModePush } from './push';
import { json, type Reply } from '../../../src/connectors/fake-cloud';
import { HOME_MODES, MAX_TEMP, MIN_TEMP, SETPOINT_MODES, type FakeHome, type HomeMode, type SetpointMode } from './device-types';
import type { FakeState } from './state';
import type { AccessCheck } from './tokens';

/** The fake's /api/* Energy and webhook endpoints (netatmo-api.md §2, §3.1). */

export type ApiRoute = 'homesdata' | 'homestatus' | 'setroomthermpoint' | 'setthermmode' | 'addwebhook' | 'dropwebhook';

export const API_ROUTES: readonly ApiRoute[] = ['homesdata', 'homestatus', 'setroomthermpoint', 'setthermmode', 'addwebhook', 'dropwebhook'];

/** A reply plus the pushes it causes, sent to the user's webhook before or after the answer. */
export interface ApiResult {
  reply: Reply;
  pushes?: Record<string, unknown>[];
  /** addwebhook's activation is sent before answering, so a client that saw 200 has it too. */
  pushBeforeReply?: boolean;
}

/** §2.2's code → HTTP status, where known ([I] for 10/21 → 400). */
const HTTP_STATUS: Record<number, number> = { 1: 403, 2: 403, 3: 403, 7: 406, 9: 404, 10: 400, 13: 403, 21: 400 };

/** §2.2, verbatim where a message was quoted. */
const MESSAGES: Record<number, string> = {
  1: 'Access token is missing',
  2: 'Invalid access token',
  3: 'Access token expired',
  7: 'Nothing to drop',
  13: 'Application does not have the good scope rights',
};

class ApiError extends Error {
  constructor(
    readonly code: number,
    message = MESSAGES[code] ?? 'Error',
  ) {
    super(message);
  }
}

/** §2.1: `{"error":{"code","message"}}` with a non-2xx status. */
export function apiError(code: number, message = MESSAGES[code] ?? 'Error'): Reply {
  return json(HTTP_STATUS[code] ?? 400, { error: { code, message } });
}

/** §2.1: the success envelope; write endpoints answer without `body`. */
function ok(now: number, body?: unknown): Reply {
  const envelope: Record<string, unknown> = body === undefined ? { status: 'ok' } : { body, status: 'ok' };
  return json(200, { ...envelope, time_exec: 0.012, time_server: Math.floor(now / 1000) });
}

export interface ApiRequest {
  state: FakeState;
  /** Query string merged with the form body: the real server takes either (§2.3). */
  params: URLSearchParams;
  access: Extract<AccessCheck, { ok: true }>;
  now: number;
  /** When false, addwebhook accepts any port (local receivers); the real service allows 80, 88, 443, 9443. */
  enforceWebhookPorts: boolean;
}

/** Bearer check shared by every /api/* route (§2.2: 403 with code 1, 2 or 3). */
export function authenticate(state: FakeState, authorization: string | undefined): AccessCheck {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  return state.tokens.checkAccess(bearer);
}

export function handleApi(route: ApiRoute, req: ApiRequest): ApiResult {
  try {
    switch (route) {
      case 'homesdata':
        need(req, 'read_thermostat');
        return { reply: ok(req.now, homesData(req)) };
      case 'homestatus':
        need(req, 'read_thermostat');
        return { reply: ok(req.now, homeStatus(req)) };
      case 'setroomthermpoint':
        need(req, 'write_thermostat');
        return setRoomThermpoint(req);
      case 'setthermmode':
        need(req, 'write_thermostat');
        return setThermMode(req);
      case 'addwebhook':
        return addWebhook(req);
      case 'dropwebhook':
        if (!req.state.webhooks.drop(req.access.userId)) throw new ApiError(7);
        return { reply: ok(req.now) };
    }
  } catch (error) {
    if (error instanceof ApiError) return { reply: apiError(error.code, error.message) };
    throw error;
  }
}

function need(req: ApiRequest, scope: string): void {
  if (!req.access.scope.includes(scope)) throw new ApiError(13);
}

function required(req: ApiRequest, name: string, message = `Missing ${name}`): string {
  const value = req.params.get(name);
  if (value === null || value === '') throw new ApiError(10, message);
  return value;
}

function homeOf(req: ApiRequest, homeId: string): FakeHome {
  const home = req.state.homes.snapshot(homeId);
  if (!home) throw new ApiError(21, 'Invalid id');
  return home;
}

function optionalEndTime(req: ApiRequest): number | undefined {
  const raw = req.params.get('endtime');
  if (raw === null || raw === '') return undefined;
  const end = Number(raw);
  if (!Number.isInteger(end) || end <= Math.floor(req.now / 1000)) throw new ApiError(21, 'Invalid endtime');
  return end;
}

// ---------------------------------------------------------------------------------------------
// GET|POST /api/homesdata (§2.3)

function homesData(req: ApiRequest): unknown {
  const only = req.params.get('home_id');
  const ids = req.state.homes.ids().filter((id) => !only || id === only);
  if (only && ids.length === 0) throw new ApiError(21, 'Invalid id');
  const user = req.state.user;
  return {
    homes: ids.map((id) => renderHome(homeOf(req, id))),
    user: {
      email: user.email,
      language: 'en-US',
      locale: 'en-US',
      feel_like_algorithm: 0,
      unit_pressure: 0,
      unit_system: 0,
      unit_wind: 0,
      all_linked: false,
      type: 'netatmo',
      id: user.id,
    },
  };
}

const SETUP_DATE = 1_494_963_356;

function renderHome(home: FakeHome): unknown {
  const relay = home.modules.find((m) => m.type === 'NAPlug');
  return {
    id: home.id,
    name: home.name,
    altitude: 112,
    coordinates: [52.516263, 13.377726],
    country: 'DE',
    timezone: 'Europe/Berlin',
    rooms: home.rooms.map((r) => ({ id: r.id, name: r.name, type: r.type, module_ids: r.moduleIds })),
    modules: home.modules.map((m) =>
      m.type === 'NAPlug'
        ? { id: m.id, type: m.type, name: m.name, setup_date: SETUP_DATE, modules_bridged: home.modules.filter((x) => x.bridge === m.id).map((x) => x.id) }
        : { id: m.id, type: m.type, name: m.name, setup_date: SETUP_DATE, room_id: m.roomId, bridge: m.bridge ?? relay?.id },
    ),
    schedules: [
      {
        id: '591b54a2764ff4d50d8b5795',
        name: 'Default',
        type: 'therm',
        selected: true,
        hg_temp: home.hgTemp,
        away_temp: home.awayTemp,
        zones: [{ id: 0, name: 'Comfort', type: 0, rooms: home.rooms.map((r) => ({ id: r.id, therm_setpoint_temperature: 19 })) }],
        timetable: [{ zone_id: 0, m_offset: 0 }],
      },
    ],
    therm_setpoint_default_duration: home.defaultDurationMin,
    therm_mode: home.thermMode,
    ...(home.thermModeEndTime ? { therm_mode_endtime: home.thermModeEndTime } : {}),
    temperature_control_mode: 'heating',
  };
}

// ---------------------------------------------------------------------------------------------
// GET|POST /api/homestatus (§2.4)

function homeStatus(req: ApiRequest): unknown {
  const home = homeOf(req, required(req, 'home_id'));
  const unreachable = home.modules.filter((m) => !m.reachable).map((m) => ({ code: 6, id: m.id }));
  const rooms = home.rooms.map((r) => ({
    id: r.id,
    reachable: r.reachable,
    therm_measured_temperature: r.measuredTemperature,
    heating_power_request: r.measuredTemperature < r.setpoint ? 50 : 0,
    therm_setpoint_temperature: r.setpoint,
    therm_setpoint_mode: r.mode,
    therm_setpoint_start_time: r.setpointStartTime,
    therm_setpoint_end_time: r.setpointEndTime,
    anticipating: false,
    open_window: false,
  }));
  const modules = home.modules.map((m) => {
    if (m.type === 'NAPlug') return { id: m.id, type: m.type, firmware_revision: m.firmwareRevision, rf_strength: m.rfStrength, wifi_strength: 42 };
    // An unreachable module reports nothing but that (its error is in body.errors).
    if (!m.reachable) return { id: m.id, type: m.type, reachable: false, bridge: m.bridge };
    return {
      id: m.id,
      type: m.type,
      reachable: true,
      firmware_revision: m.firmwareRevision,
      rf_strength: m.rfStrength,
      battery_level: m.batteryLevel,
      battery_state: m.batteryState,
      ...(m.type === 'NATherm1' ? { boiler_valve_comfort_boost: false, boiler_status: rooms.some((r) => r.heating_power_request > 0), anticipating: false } : {}),
      bridge: m.bridge,
    };
  });
  return { home: { id: home.id, rooms, modules }, ...(unreachable.length ? { errors: unreachable } : {}) };
}

// ---------------------------------------------------------------------------------------------
// POST /api/setroomthermpoint, /api/setthermmode (§2.5)

function setRoomThermpoint(req: ApiRequest): ApiResult {
  const homeId = required(req, 'home_id');
  const roomId = required(req, 'room_id', 'Missing parameters');
  const mode = required(req, 'mode', 'mode is missing');
  homeOf(req, homeId);
  if (!req.state.homes.hasRoom(homeId, roomId)) throw new ApiError(21, 'Invalid id');
  if (!SETPOINT_MODES.includes(mode as SetpointMode)) throw new ApiError(21, 'mode not authorized');
  let temp: number | undefined;
  if (mode === 'manual') {
    temp = Number(required(req, 'temp', 'Missing parameters'));
    if (!Number.isFinite(temp) || temp < MIN_TEMP || temp > MAX_TEMP) throw new ApiError(21, 'Invalid temp');
  }
  if (mode === 'max' && !req.state.homes.hasThermostat(homeId, roomId)) {
    throw new ApiError(21, 'max mode can only be applied on thermostat room');
  }
  req.state.homes.setRoomSetpoint(homeId, roomId, mode as SetpointMode, temp, optionalEndTime(req));
  return { reply: ok(req.now), pushes: roomPushes(req.state, homeId, roomId, req.now) };
}

export function roomPushes(state: FakeState, homeId: string, roomId: string, now: number): Record<string, unknown>[] {
  const home = state.homes.snapshot(homeId);
  const room = home?.rooms.find((r) => r.id === roomId);
  if (!home || !room) return [];
  return setpointPushes(state.user, home, room, state.homes.relayId(homeId), now);
}

function setThermMode(req: ApiRequest): ApiResult {
  const homeId = required(req, 'home_id');
  const mode = required(req, 'mode', 'mode is missing');
  const previous = homeOf(req, homeId).thermMode;
  if (!HOME_MODES.includes(mode as HomeMode)) throw new ApiError(21, 'mode not authorized');
  req.state.homes.setThermMode(homeId, mode as HomeMode, mode === 'schedule' ? undefined : optionalEndTime(req));
  return { reply: ok(req.now), pushes: [thermModePush(req.state.user, homeId, mode as HomeMode, previous)] };
}

// ---------------------------------------------------------------------------------------------
// POST /api/addwebhook (§3.1)

const WEBHOOK_PORTS = new Set([80, 88, 443, 9443]);

function addWebhook(req: ApiRequest): ApiResult {
  const raw = required(req, 'url', 'Missing parameters');
  if (!URL.canParse(raw)) throw new ApiError(21, 'Invalid url parameter');
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ApiError(21, 'Invalid url parameter');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (req.enforceWebhookPorts && !WEBHOOK_PORTS.has(port)) {
    throw new ApiError(21, 'Allowed ports for webhooks are 80, 88, 443 and 9443.');
  }
  req.state.webhooks.set(req.access.userId, raw);
  return { reply: ok(req.now), pushes: [activationPush(req.state.user)], pushBeforeReply: true };
}

import { randomBytes } from 'node:crypto';
import type { FakeCall } from '../../../src/connectors/fake-cloud';

/**
 * In-memory state of the fake Netatmo cloud: homes (rooms, modules, setpoints), OAuth codes and
 * rotating tokens, webhook registrations, and the request log. No HTTP here; server.ts and the
 * handlers drive it. Section numbers (§) refer to /work/shared/netatmo-api.md.
 */

export type Clock = () => number;

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

export type { FakeCall } from '../../../src/connectors/fake-cloud';

export interface RoomStatePatch {
  measuredTemperature?: number;
  scheduleTemperature?: number;
}

export interface ModuleStatePatch {
  reachable?: boolean;
  batteryLevel?: number;
}

// ---------------------------------------------------------------------------------------------
// Ids and formats

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** §2.3: homes and users have 24-hex ids. */
export const newHexId = (): string => hex(12);

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** battery_state from millivolts [I: thresholds modelled on pyatmo's battery levels]. */
export function batteryState(type: HeatingModuleType, mv: number): 'full' | 'high' | 'medium' | 'low' {
  const [full, high, medium] = type === 'NATherm1' ? [4100, 3600, 3300] : [3000, 2800, 2600];
  if (mv >= full) return 'full';
  if (mv >= high) return 'high';
  if (mv >= medium) return 'medium';
  return 'low';
}

// ---------------------------------------------------------------------------------------------
// Homes

interface Override {
  mode: 'manual' | 'max' | 'off';
  temp: number;
  start: number;
  /** Unix seconds; 0 = until changed. */
  end: number;
}

interface RoomRecord {
  id: string;
  name: string;
  type: string;
  moduleIds: string[];
  measuredTemperature: number;
  scheduleTemperature: number;
  override?: Override;
}

/** What the store keeps of a module; the rest of FakeModule is derived when it is read. */
type ModuleRecord = Omit<FakeModule, 'batteryState' | 'firmwareRevision' | 'rfStrength'>;

interface HomeRecord {
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
    if (!home) return undefined;
    const nowS = seconds(this.now());
    const thermMode = this.effectiveHomeMode(home, nowS);
    const modules = [...home.modules.values()].map((m) => this.moduleView(m));
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

  relayId(homeId: string): string {
    return this.home(homeId).relayId;
  }

  private effectiveHomeMode(home: HomeRecord, nowS: number): HomeMode {
    return home.thermModeEnd !== 0 && home.thermModeEnd <= nowS ? 'schedule' : home.thermMode;
  }

  private moduleView(m: ModuleRecord): FakeModule {
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

// ---------------------------------------------------------------------------------------------
// OAuth codes and tokens (§1.3, §1.4)

/** §1.3 token response: scope is an array, and both expires_in and expire_in are sent. */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  scope: string[];
  expires_in: number;
  expire_in: number;
}

/** How /api/* sees a bearer token (§2.2: 1 missing, 2 invalid, 3 expired). */
export type AccessCheck = { ok: true; userId: string; scope: readonly string[] } | { ok: false; code: 1 | 2 | 3 };

export type RefreshOutcome = { ok: true; tokens: TokenResponse } | { ok: false; error: 'invalid_grant' };

/** One user's consent to the app; deauthorize() revokes it with everything issued under it. */
interface Grant {
  userId: string;
  scope: string[];
  revoked: boolean;
}

interface AuthCode {
  userId: string;
  redirectUri: string;
  scope: string[];
  expiresAt: number;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
  /** "former tokens invalidated" by a refresh (§1.4): the API then says code 2. */
  rotatedAway: boolean;
  /** expireAccessTokens(): the API says code 3. */
  expired: boolean;
}

interface RefreshToken {
  grant: Grant;
  /** Spent by a successful refresh: rotation (§1.4) makes it worthless from then on. */
  rotatedAway: boolean;
}

export const CODE_TTL_MS = 10 * 60 * 1000;

export interface TokenStoreOptions {
  accessTokenTtlS: number;
  now: Clock;
}

export class TokenStore {
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly grants: Grant[] = [];
  private stale = 0;

  constructor(private readonly opts: TokenStoreOptions) {}

  /** Refreshes that presented a refresh token already spent by an earlier refresh. */
  staleRefreshAttempts(): number {
    return this.stale;
  }

  createCode(userId: string, redirectUri: string, scope: string[]): string {
    const code = hex(16);
    this.codes.set(code, { userId, redirectUri, scope, expiresAt: this.opts.now() + CODE_TTL_MS });
    return code;
  }

  /** Codes are single use: any presentation consumes it, even one that then fails the checks. */
  exchangeCode(code: string, redirectUri: string | undefined): TokenResponse | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt <= this.opts.now()) return undefined;
    if (entry.redirectUri !== redirectUri) return undefined;
    return this.issue({ userId: entry.userId, scope: entry.scope, revoked: false });
  }

  /** §1.4: both tokens are renewed and the former ones invalidated. */
  refresh(refreshToken: string): RefreshOutcome {
    const entry = this.refreshTokens.get(refreshToken);
    if (!entry) return { ok: false, error: 'invalid_grant' };
    if (entry.rotatedAway) {
      this.stale++;
      return { ok: false, error: 'invalid_grant' };
    }
    if (entry.grant.revoked) return { ok: false, error: 'invalid_grant' };
    entry.rotatedAway = true;
    for (const access of this.accessTokens.values()) {
      if (access.grant === entry.grant) access.rotatedAway = true;
    }
    return { ok: true, tokens: this.issue(entry.grant) };
  }

  issueForTest(userId: string, scope: string[]): TokenResponse {
    return this.issue({ userId, scope, revoked: false });
  }

  checkAccess(accessToken: string | undefined): AccessCheck {
    if (accessToken === undefined) return { ok: false, code: 1 };
    const entry = this.accessTokens.get(accessToken);
    if (!entry || entry.grant.revoked || entry.rotatedAway) return { ok: false, code: 2 };
    if (entry.expired || entry.expiresAt <= this.opts.now()) return { ok: false, code: 3 };
    return { ok: true, userId: entry.grant.userId, scope: entry.grant.scope };
  }

  expireAccessTokens(): void {
    for (const entry of this.accessTokens.values()) entry.expired = true;
  }

  deauthorize(): void {
    for (const grant of this.grants) grant.revoked = true;
  }

  private issue(grant: Grant): TokenResponse {
    if (!this.grants.includes(grant)) this.grants.push(grant);
    const ttlS = this.opts.accessTokenTtlS;
    // §1.3: "<24-hex>|<32-hex>", the first part being the user's id.
    const access = `${grant.userId}|${hex(16)}`;
    const refresh = `${grant.userId}|${hex(16)}`;
    this.accessTokens.set(access, { grant, expiresAt: this.opts.now() + ttlS * 1000, rotatedAway: false, expired: false });
    this.refreshTokens.set(refresh, { grant, rotatedAway: false });
    return { access_token: access, refresh_token: refresh, scope: [...grant.scope], expires_in: ttlS, expire_in: ttlS };
  }
}

// ---------------------------------------------------------------------------------------------
// Webhook registrations (§3.1)

/** One webhook URL per user and app: addwebhook replaces, dropwebhook removes. */
export class WebhookRegistry {
  private readonly urls = new Map<string, string>();

  set(userId: string, url: string): void {
    this.urls.set(userId, url);
  }

  get(userId: string): string | undefined {
    return this.urls.get(userId);
  }

  drop(userId: string): boolean {
    return this.urls.delete(userId);
  }
}

// ---------------------------------------------------------------------------------------------
// Everything together

export interface FakeUser {
  id: string;
  email: string;
  password: string;
}

export interface FakeStateOptions extends TokenStoreOptions {
  user: FakeUser;
  homes: readonly FakeHomeSeed[];
}

export class FakeState {
  readonly homes: HomeStore;
  readonly tokens: TokenStore;
  readonly webhooks = new WebhookRegistry();
  readonly calls: FakeCall[] = [];
  readonly user: FakeUser;

  constructor(opts: FakeStateOptions) {
    this.homes = new HomeStore(opts.now);
    this.tokens = new TokenStore(opts);
    this.user = opts.user;
    for (const seed of opts.homes) this.homes.add(seed);
  }

  refreshCount(): number {
    return this.calls.filter((c) => c.method === 'POST' && c.path === '/oauth2/token' && c.grantType === 'refresh_token').length;
  }
}

import { randomBytes, randomInt } from 'node:crypto';
import type { FakeCall } from '../../../src/connectors/fake-cloud';

/**
 * In-memory state of the fake ecobee cloud: thermostats and their revisions, OAuth codes and
 * tokens, and the request log. No HTTP here; server.ts and the handlers drive it.
 * Section numbers (§) refer to /work/shared/ecobee-api.md.
 */

export type Clock = () => number;

export type HvacMode = 'auto' | 'auxHeatOnly' | 'cool' | 'heat' | 'off';
/** §3.3 Settings: the writable hvacMode values. */
export const HVAC_MODES: readonly HvacMode[] = ['auto', 'auxHeatOnly', 'cool', 'heat', 'off'];

export type FanMode = 'auto' | 'on';

export interface FakeThermostatSeed {
  identifier: string;
  name: string;
  modelNumber?: string;
  /** °F × 10 (§3.3 Units). */
  actualTemperature?: number;
  actualHumidity?: number;
  /** °F × 10; also the thermostat's program values that resumeProgram goes back to. */
  desiredHeat?: number;
  desiredCool?: number;
  hvacMode?: HvacMode;
  /** CSV of running equipment (§3.3 equipmentStatus), '' when idle. */
  equipmentStatus?: string;
  connected?: boolean;
}

export interface FakeRuntime {
  runtimeRev: string;
  connected: boolean;
  firstConnected: string;
  connectDateTime: string;
  disconnectDateTime: string;
  lastModified: string;
  lastStatusModified: string;
  runtimeDate: string;
  runtimeInterval: number;
  actualTemperature: number;
  actualHumidity: number;
  desiredHeat: number;
  desiredCool: number;
  desiredHumidity: number;
  desiredDehumidity: number;
  desiredFanMode: FanMode;
  desiredHeatRange: [number, number];
  desiredCoolRange: [number, number];
}

export interface FakeSettings {
  hvacMode: HvacMode;
  heatRangeHigh: number;
  heatRangeLow: number;
  coolRangeHigh: number;
  coolRangeLow: number;
  useCelsius: boolean;
  heatStages: number;
  coolStages: number;
  autoHeatCoolFeatureEnabled: boolean;
  heatCoolMinDelta: number;
  hasHeatPump: boolean;
  hasForcedAir: boolean;
  hasElectric: boolean;
  hasBoiler: boolean;
}

/** §3.3 remoteSensors: capability values are always strings. */
export interface FakeRemoteSensor {
  id: string;
  name: string;
  type: string;
  code?: string;
  inUse: boolean;
  capability: { id: string; type: string; value: string }[];
}

/** A thermostat in ecobee's shape (§3.3), plus the summary-only revisions (§4). */
export interface FakeThermostat {
  identifier: string;
  name: string;
  thermostatRev: string;
  isRegistered: boolean;
  modelNumber: string;
  brand: 'ecobee';
  features: string;
  lastModified: string;
  thermostatTime: string;
  utcTime: string;
  runtime: FakeRuntime;
  settings: FakeSettings;
  equipmentStatus: string;
  remoteSensors: FakeRemoteSensor[];
  /** Only ever shown in /1/thermostatSummary's revisionList (§4). */
  alertsRev: string;
  intervalRev: string;
}

export interface RuntimePatch {
  actualTemperature?: number;
  actualHumidity?: number;
  equipmentStatus?: string;
  connected?: boolean;
}

export type { FakeCall } from '../../../src/connectors/fake-cloud';

// ---------------------------------------------------------------------------------------------
// Time formats

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** §4: "Most revisions are UTC date/time stamps in the format: YYMMDDHHMMSS". */
export function revisionStamp(at: Date): string {
  return (
    pad(at.getUTCFullYear() % 100) +
    pad(at.getUTCMonth() + 1) +
    pad(at.getUTCDate()) +
    pad(at.getUTCHours()) +
    pad(at.getUTCMinutes()) +
    pad(at.getUTCSeconds())
  );
}

/** §3.3: lastModified/utcTime look like "2015-02-11 19:38:47". */
export function ecobeeDateTime(at: Date): string {
  const date = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  return `${date} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
}

/**
 * Hands out revision strings. Clients only compare revisions for equality (§4), so two bumps in
 * the same second must still differ: when the clock has not moved past the last value we step the
 * 12-digit number by one instead (the result may not be a real time, which is fine: opaque).
 */
export class RevisionClock {
  private last = 0;

  constructor(private readonly now: Clock) {}

  next(): string {
    const stamp = Number(revisionStamp(new Date(this.now())));
    this.last = stamp > this.last ? stamp : this.last + 1;
    return String(this.last).padStart(12, '0');
  }
}

// ---------------------------------------------------------------------------------------------
// Thermostats

/** Typical ecobee limits; §3.3 "desiredHeatRange/desiredCoolRange bound holds". */
const HEAT_RANGE: [number, number] = [450, 790];
const COOL_RANGE: [number, number] = [650, 920];

interface ThermostatRecord {
  thermostat: FakeThermostat;
  /** What resumeProgram restores (the seeded setpoints). */
  program: { desiredHeat: number; desiredCool: number };
}

export class ThermostatStore {
  /** Map order is registration order, which is the order the API lists thermostats in. */
  private readonly records = new Map<string, ThermostatRecord>();

  constructor(
    private readonly clock: RevisionClock,
    private readonly now: Clock,
  ) {}

  add(seed: FakeThermostatSeed): void {
    if (this.records.has(seed.identifier)) throw new Error(`thermostat ${seed.identifier} already exists`);
    this.records.set(seed.identifier, this.build(seed));
  }

  remove(identifier: string): void {
    this.record(identifier);
    this.records.delete(identifier);
  }

  has(identifier: string): boolean {
    return this.records.has(identifier);
  }

  identifiers(): string[] {
    return [...this.records.keys()];
  }

  /** A deep copy with the clock fields set to now, as the API would show it. */
  snapshot(identifier: string): FakeThermostat | undefined {
    const record = this.records.get(identifier);
    if (!record) return undefined;
    const copy = structuredClone(record.thermostat);
    copy.utcTime = copy.thermostatTime = ecobeeDateTime(new Date(this.now()));
    return copy;
  }

  rename(identifier: string, name: string): void {
    const t = this.record(identifier).thermostat;
    if (t.name === name) return;
    t.name = name;
    this.touchThermostat(t);
  }

  setHvacMode(identifier: string, mode: HvacMode): void {
    const t = this.record(identifier).thermostat;
    if (t.settings.hvacMode === mode) return;
    t.settings.hvacMode = mode;
    this.touchThermostat(t);
  }

  /**
   * A hold is an Event change, which moves thermostatRev (§4); it also moves the runtime's desired
   * setpoints, so runtimeRev moves too and summary-driven pollers refetch the runtime.
   */
  setHold(identifier: string, hold: { desiredHeat: number; desiredCool: number; fan?: FanMode }): void {
    const t = this.record(identifier).thermostat;
    t.runtime.desiredHeat = hold.desiredHeat;
    t.runtime.desiredCool = hold.desiredCool;
    if (hold.fan) t.runtime.desiredFanMode = hold.fan;
    this.touchThermostat(t);
    this.touchRuntime(t);
  }

  resumeProgram(identifier: string): void {
    this.setHold(identifier, { ...this.record(identifier).program, fan: 'auto' });
  }

  /** Simulates the thermostat reporting in: runtime and equipment changes move runtimeRev (§4). */
  setRuntime(identifier: string, patch: RuntimePatch): void {
    const t = this.record(identifier).thermostat;
    if (patch.actualTemperature !== undefined) t.runtime.actualTemperature = patch.actualTemperature;
    if (patch.actualHumidity !== undefined) t.runtime.actualHumidity = patch.actualHumidity;
    if (patch.equipmentStatus !== undefined) t.equipmentStatus = patch.equipmentStatus;
    if (patch.connected !== undefined) this.setConnected(t, patch.connected);
    this.touchRuntime(t);
  }

  private setConnected(t: FakeThermostat, connected: boolean): void {
    if (t.runtime.connected === connected) return;
    t.runtime.connected = connected;
    const stamp = ecobeeDateTime(new Date(this.now()));
    if (connected) t.runtime.connectDateTime = stamp;
    else t.runtime.disconnectDateTime = stamp;
  }

  private record(identifier: string): ThermostatRecord {
    const record = this.records.get(identifier);
    if (!record) throw new Error(`unknown thermostat ${identifier}`);
    return record;
  }

  private touchThermostat(t: FakeThermostat): void {
    t.thermostatRev = this.clock.next();
    t.lastModified = ecobeeDateTime(new Date(this.now()));
  }

  private touchRuntime(t: FakeThermostat): void {
    t.runtime.runtimeRev = this.clock.next();
    t.runtime.lastModified = t.runtime.lastStatusModified = ecobeeDateTime(new Date(this.now()));
  }

  private build(seed: FakeThermostatSeed): ThermostatRecord {
    const at = new Date(this.now());
    const stamp = ecobeeDateTime(at);
    const desiredHeat = seed.desiredHeat ?? 690;
    const desiredCool = seed.desiredCool ?? 750;
    const connected = seed.connected ?? true;
    const thermostat: FakeThermostat = {
      identifier: seed.identifier,
      name: seed.name,
      thermostatRev: this.clock.next(),
      isRegistered: true,
      modelNumber: seed.modelNumber ?? 'athenaSmart',
      brand: 'ecobee',
      features: 'Home,HomeKit',
      lastModified: stamp,
      thermostatTime: stamp,
      utcTime: stamp,
      runtime: {
        runtimeRev: this.clock.next(),
        connected,
        firstConnected: stamp,
        connectDateTime: stamp,
        disconnectDateTime: connected ? '' : stamp,
        lastModified: stamp,
        lastStatusModified: stamp,
        runtimeDate: stamp.slice(0, 10),
        runtimeInterval: at.getUTCHours() * 12 + Math.floor(at.getUTCMinutes() / 5),
        actualTemperature: seed.actualTemperature ?? 711,
        actualHumidity: seed.actualHumidity ?? 42,
        desiredHeat,
        desiredCool,
        desiredHumidity: 36,
        desiredDehumidity: 60,
        desiredFanMode: 'auto',
        desiredHeatRange: [...HEAT_RANGE],
        desiredCoolRange: [...COOL_RANGE],
      },
      settings: {
        hvacMode: seed.hvacMode ?? 'auto',
        heatRangeHigh: HEAT_RANGE[1],
        heatRangeLow: HEAT_RANGE[0],
        coolRangeHigh: COOL_RANGE[1],
        coolRangeLow: COOL_RANGE[0],
        useCelsius: false,
        heatStages: 1,
        coolStages: 1,
        autoHeatCoolFeatureEnabled: true,
        heatCoolMinDelta: 50,
        hasHeatPump: false,
        hasForcedAir: true,
        hasElectric: false,
        hasBoiler: false,
      },
      equipmentStatus: seed.equipmentStatus ?? '',
      remoteSensors: [],
      alertsRev: this.clock.next(),
      intervalRev: this.clock.next(),
    };
    return { thermostat, program: { desiredHeat, desiredCool } };
  }
}

// ---------------------------------------------------------------------------------------------
// OAuth codes and tokens

/** §1.4 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** How /1/* sees a bearer token (§6: 1 unknown, 14 expired/superseded, 16 deauthorized). */
export type AccessCheck = 'ok' | 'unknown' | 'expired' | 'revoked';

export type RefreshOutcome = { ok: true; tokens: TokenResponse } | { ok: false; error: 'invalid_grant' | 'invalid_client' };

export interface TokenStoreOptions {
  clientId: string;
  accessTokenTtlS: number;
  refreshTokenReuse: 'strict' | 'lenient';
  now: Clock;
}

/** One user's consent to one client; deauthorize() revokes it with everything issued under it. */
interface Grant {
  clientId: string;
  scope: string;
  revoked: boolean;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  expiresAt: number;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
  /** Set by a refresh (§1.7: "A token refresh immediately expires the previously issued access token") or expireAccessTokens(). */
  invalidated: boolean;
}

interface RefreshToken {
  grant: Grant;
  /** Presented to a successful refresh before. */
  used: boolean;
  /** Strict mode: dead after its first use (legacy doc text, §1.7). */
  rotatedAway: boolean;
}

/** §1.2 codes are short-lived; ten minutes is the usual OAuth figure. */
export const CODE_TTL_MS = 10 * 60 * 1000;

export class TokenStore {
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly grants: Grant[] = [];
  private stale = 0;

  constructor(private readonly opts: TokenStoreOptions) {}

  get clientId(): string {
    return this.opts.clientId;
  }

  staleRefreshAttempts(): number {
    return this.stale;
  }

  createCode(redirectUri: string, scope: string): string {
    const code = randomAlnum(32); // §2 shows 32 alphanumerics for an authorization code
    this.codes.set(code, { clientId: this.opts.clientId, redirectUri, scope, expiresAt: this.opts.now() + CODE_TTL_MS });
    return code;
  }

  /** Codes are single use: any presentation consumes it, even one that then fails the checks. */
  exchangeCode(code: string, clientId: string, redirectUri: string | undefined): TokenResponse | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt <= this.opts.now()) return undefined;
    if (entry.clientId !== clientId || entry.redirectUri !== redirectUri) return undefined;
    return this.issue({ clientId, scope: entry.scope, revoked: false });
  }

  refresh(refreshToken: string, clientId: string): RefreshOutcome {
    const entry = this.refreshTokens.get(refreshToken);
    if (!entry) return { ok: false, error: 'invalid_grant' };
    if (entry.used) this.stale++;
    if (entry.rotatedAway || entry.grant.revoked) return { ok: false, error: 'invalid_grant' };
    if (entry.grant.clientId !== clientId) return { ok: false, error: 'invalid_grant' };
    entry.used = true;
    entry.rotatedAway = this.opts.refreshTokenReuse === 'strict';
    for (const access of this.accessTokens.values()) {
      if (access.grant === entry.grant) access.invalidated = true;
    }
    return { ok: true, tokens: this.issue(entry.grant) };
  }

  /** A fresh grant without the browser dance, for tests that don't care about OAuth. */
  issueForTest(scope: string): TokenResponse {
    return this.issue({ clientId: this.opts.clientId, scope, revoked: false });
  }

  checkAccess(accessToken: string): AccessCheck {
    const entry = this.accessTokens.get(accessToken);
    if (!entry) return 'unknown';
    if (entry.grant.revoked) return 'revoked';
    if (entry.invalidated || entry.expiresAt <= this.opts.now()) return 'expired';
    return 'ok';
  }

  expireAccessTokens(): void {
    for (const entry of this.accessTokens.values()) entry.invalidated = true;
  }

  deauthorize(): void {
    for (const grant of this.grants) grant.revoked = true;
  }

  private issue(grant: Grant): TokenResponse {
    if (!this.grants.includes(grant)) this.grants.push(grant);
    const now = this.opts.now();
    const ttlS = this.opts.accessTokenTtlS;
    const access = jwtLike({ scope: grant.scope, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + ttlS });
    // §1.5: refresh tokens "of varying lengths and can contain non-alphanumeric characters", e.g. "v1.X8NZ…".
    const refresh = `v1.${randomBytes(24 + randomInt(16)).toString('base64url')}`;
    this.accessTokens.set(access, { grant, expiresAt: now + ttlS * 1000, invalidated: false });
    this.refreshTokens.set(refresh, { grant, used: false, rotatedAway: false });
    return { access_token: access, token_type: 'Bearer', expires_in: ttlS, refresh_token: refresh, scope: grant.scope };
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** §1.5: access tokens are JWTs since Dec 2020. Nothing verifies the signature, so it's random. */
function jwtLike(claims: { scope: string; iat: number; exp: number }): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = part({ alg: 'RS256', typ: 'JWT', kid: 'fake-ecobee' });
  const payload = part({
    iss: 'https://auth.ecobee.com/',
    sub: 'fake-ecobee-user',
    aud: 'https://prod.ecobee.com/api/v1',
    jti: randomBytes(12).toString('hex'),
    ...claims,
  });
  return `${header}.${payload}.${randomBytes(256).toString('base64url')}`;
}

// ---------------------------------------------------------------------------------------------
// Everything together

export interface FakeStateOptions extends TokenStoreOptions {
  thermostats: readonly FakeThermostatSeed[];
}

export class FakeState {
  readonly thermostats: ThermostatStore;
  readonly tokens: TokenStore;
  readonly calls: FakeCall[] = [];
  private apiInFlight = 0;
  private apiInFlightMax = 0;

  constructor(opts: FakeStateOptions) {
    this.thermostats = new ThermostatStore(new RevisionClock(opts.now), opts.now);
    this.tokens = new TokenStore(opts);
    for (const seed of opts.thermostats) this.thermostats.add(seed);
  }

  /** §8 asks clients for at most 2-3 open requests; tests read the high-water mark. */
  apiRequestStarted(): void {
    this.apiInFlight++;
    this.apiInFlightMax = Math.max(this.apiInFlightMax, this.apiInFlight);
  }

  apiRequestEnded(): void {
    this.apiInFlight--;
  }

  maxConcurrentApiRequests(): number {
    return this.apiInFlightMax;
  }

  refreshCount(): number {
    return this.calls.filter((c) => c.method === 'POST' && c.path === '/token' && c.grantType === 'refresh_token').length;
  }
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_ROUTES, apiError, authenticate, handleApi, roomPushes, type ApiResult, type ApiRoute } from './api';
import { authorizePage, authorizeSubmit, token, type OAuthConfig } from './oauth';
import { readLoginForm } from './pages';
import { thermModePush, WebhookDeliverer, type DeliverOptions, type FakeDelivery } from './push';
import { json, type Reply } from './reply';
import {
  FakeState,
  newHexId,
  type FakeCall,
  type FakeHome,
  type FakeHomeSeed,
  type FakeRoom,
  type FakeRoomSeed,
  type HomeMode,
  type ModuleStatePatch,
  type RoomStatePatch,
  type SetpointMode,
  type TokenResponse,
} from './state';

/**
 * A fake Netatmo cloud over real HTTP, for tests and the local demo: OAuth code flow
 * (/oauth2/authorize, /oauth2/token with rotating refresh tokens), the Energy API under /api
 * (homesdata, homestatus, setroomthermpoint, setthermmode), webhook registration
 * (addwebhook, dropwebhook) and signed webhook delivery with Netatmo's ban rule, plus fault hooks.
 * Behaviour follows /work/shared/netatmo-api.md (cited as §n); where it deliberately differs, it says so.
 */

export type {
  FakeCall,
  FakeHome,
  FakeHomeSeed,
  FakeModule,
  FakeModuleSeed,
  FakeRoom,
  FakeRoomSeed,
  HomeMode,
  ModuleStatePatch,
  RoomMode,
  RoomStatePatch,
  SetpointMode,
  TokenResponse,
} from './state';
export type { DeliverOptions, FakeDelivery } from './push';

export interface FakeNetatmoOptions {
  clientId?: string;
  clientSecret?: string;
  host?: string;
  port?: number;
  homes?: FakeHomeSeed[];
  userId?: string;
  username?: string;
  password?: string;
  /** §1.3: 10800 s. */
  accessTokenTtlS?: number;
  /** §3.1: the real service only takes webhook URLs on ports 80, 88, 443 and 9443. Off by default for local receivers. */
  enforceWebhookPorts?: boolean;
  /** §3.3: failed deliveries in a row before the app's webhook is banned (default 5), and for how long (24 h). */
  banAfterFailures?: number;
  banMs?: number;
  /** §3.3: a receiver must answer within 10 s. */
  deliveryTimeoutMs?: number;
  /** Clock for token/code expiry, setpoint end times and bans (ms since epoch). Defaults to Date.now. */
  now?: () => number;
}

export type FakeRoute = 'authorize' | 'token' | ApiRoute;

export type FakeFault =
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'reset' };

/** The demo home: a relay, a thermostat room and valve rooms (§2.3 shapes). */
export const DEFAULT_HOMES: readonly FakeHomeSeed[] = [
  {
    id: '5c4f3b2a1d0e9f8a7b6c5d4e',
    name: 'Demo home',
    relay: { id: '70:ee:50:00:00:01', name: 'Relay' },
    rooms: [
      {
        id: '2746182631',
        name: 'Living room',
        type: 'livingroom',
        measuredTemperature: 19.8,
        scheduleTemperature: 20,
        modules: [{ id: '04:00:00:00:01:ae', type: 'NATherm1', name: 'Thermostat', batteryLevel: 3793 }],
      },
      {
        id: '2833524037',
        name: 'Bedroom',
        type: 'bedroom',
        measuredTemperature: 18.2,
        scheduleTemperature: 17,
        modules: [
          { id: '09:00:00:00:a5:54', type: 'NRV', name: 'Bedroom valve 1', batteryLevel: 3025 },
          { id: '09:00:00:00:a5:55', type: 'NRV', name: 'Bedroom valve 2', batteryLevel: 2750 },
        ],
      },
      {
        id: '2940411577',
        name: 'Kitchen',
        type: 'kitchen',
        measuredTemperature: 20.5,
        scheduleTemperature: 19,
        modules: [{ id: '09:00:00:00:a0:ac', type: 'NRV', name: 'Kitchen valve', batteryLevel: 2950 }],
      },
    ],
  },
];

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY_BYTES = 1024 * 1024;
/** Below the host's HTTP timeout, so addwebhook answers even when the receiver hangs. */
const ACTIVATION_WAIT_MS = 1000;

interface QueuedFault {
  fault: FakeFault;
  remaining: number;
}

export class FakeNetatmo {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly userId: string;
  private readonly state: FakeState;
  private readonly oauth: OAuthConfig;
  private readonly push: WebhookDeliverer;
  private readonly now: () => number;
  private readonly enforceWebhookPorts: boolean;
  private readonly server: Server;
  private readonly faults = new Map<FakeRoute, QueuedFault[]>();
  /** Aborted by stop(): wakes sleeping requests and cancels deliveries under way. */
  private readonly stopping = new AbortController();
  private latencyMs = 0;
  private baseUrl = '';
  private stopped: Promise<void> | undefined;

  static async start(opts: FakeNetatmoOptions = {}): Promise<FakeNetatmo> {
    const fake = new FakeNetatmo(opts);
    await fake.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
    return fake;
  }

  private constructor(opts: FakeNetatmoOptions) {
    this.clientId = opts.clientId ?? '5f0a1b2c3d4e5f6a7b8c9d0e';
    this.clientSecret = opts.clientSecret ?? 'fake-netatmo-client-secret-0123456789';
    this.userId = opts.userId ?? newHexId();
    this.now = opts.now ?? Date.now;
    this.enforceWebhookPorts = opts.enforceWebhookPorts ?? false;
    this.state = new FakeState({
      accessTokenTtlS: opts.accessTokenTtlS ?? 10_800,
      now: this.now,
      user: { id: this.userId, email: opts.username ?? 'demo@example.com', password: opts.password ?? 'demo' },
      homes: opts.homes ?? DEFAULT_HOMES,
    });
    this.oauth = { tokens: this.state.tokens, clientId: this.clientId, clientSecret: this.clientSecret, user: this.state.user };
    this.push = new WebhookDeliverer({
      clientSecret: this.clientSecret,
      now: this.now,
      timeoutMs: opts.deliveryTimeoutMs ?? 10_000,
      banAfterFailures: opts.banAfterFailures ?? 5,
      banMs: opts.banMs ?? 24 * 60 * 60 * 1000,
      signal: this.stopping.signal,
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => internalError(res, error));
    });
  }

  /** e.g. http://127.0.0.1:54321, no trailing slash. */
  get url(): string {
    return this.baseUrl;
  }

  /** Every request in arrival order; token and code values are never recorded. */
  get calls(): FakeCall[] {
    return this.state.calls;
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.stopping.abort();
      this.server.close(() => resolve());
      // Hung and keep-alive connections would keep close() waiting forever.
      this.server.closeAllConnections();
    });
    return this.stopped;
  }

  // -- counters -------------------------------------------------------------------------------

  /** POST /oauth2/token with grant_type=refresh_token, whatever the outcome (faulted ones included). */
  refreshCount(): number {
    return this.state.refreshCount();
  }

  /** Refreshes that presented a refresh token already rotated away (§1.4: refused with invalid_grant). */
  staleRefreshAttempts(): number {
    return this.state.tokens.staleRefreshAttempts();
  }

  // -- fault hooks ----------------------------------------------------------------------------

  /** Queued faults on a route are served in the order they were added. */
  failNext(route: FakeRoute, fault: FakeFault, times = 1): void {
    if (times < 1) return;
    const queue = this.faults.get(route) ?? [];
    queue.push({ fault, remaining: times });
    this.faults.set(route, queue);
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Every issued access token now answers 403 {"error":{"code":3,"message":"Access token expired"}}. */
  expireAccessTokens(): void {
    this.state.tokens.expireAccessTokens();
  }

  /** The user revoked the app: refreshes get invalid_grant, access tokens code 2. */
  deauthorize(): void {
    this.state.tokens.deauthorize();
  }

  /** Tokens for a fresh grant without the browser flow, for tests that don't exercise OAuth. */
  issueTokens(scope: readonly string[] = ['read_thermostat', 'write_thermostat']): TokenResponse {
    return this.state.tokens.issueForTest(this.userId, [...scope]);
  }

  // -- homes ----------------------------------------------------------------------------------

  homes(): FakeHome[] {
    return this.state.homes.ids().flatMap((id) => this.state.homes.snapshot(id) ?? []);
  }

  room(homeId: string, roomId: string): FakeRoom | undefined {
    return this.state.homes.snapshot(homeId)?.rooms.find((r) => r.id === roomId);
  }

  addRoom(homeId: string, seed: FakeRoomSeed): void {
    this.state.homes.addRoom(homeId, seed);
  }

  removeRoom(homeId: string, roomId: string): void {
    this.state.homes.removeRoom(homeId, roomId);
  }

  renameRoom(homeId: string, roomId: string, name: string): void {
    this.state.homes.renameRoom(homeId, roomId, name);
  }

  /** What the room's sensors report; no push (§3.4: measured temperatures are not pushed). */
  setRoomState(homeId: string, roomId: string, patch: RoomStatePatch): void {
    this.state.homes.setRoomState(homeId, roomId, patch);
  }

  /** Reachability and battery of a thermostat or valve; no push either. */
  setModuleState(moduleId: string, patch: ModuleStatePatch): void {
    this.state.homes.setModuleState(moduleId, patch);
  }

  /**
   * A user turns a room's setpoint on the thermostat or in the Netatmo app: the state changes and
   * the display_change message and its device_event twin are delivered to the registered webhook.
   * Resolves once both deliveries are answered, with what was delivered (none when no webhook
   * is registered or the app is banned).
   */
  async userSetsRoomSetpoint(homeId: string, roomId: string, temp: number, mode: SetpointMode = 'manual'): Promise<FakeDelivery[]> {
    this.state.homes.setRoomSetpoint(homeId, roomId, mode, temp, undefined);
    return this.deliverToUser(roomPushes(this.state, homeId, roomId, this.now()));
  }

  /** A user switches the home to schedule, away or frost guard: every room follows, one therm_mode push. */
  async userSetsThermMode(homeId: string, mode: HomeMode): Promise<FakeDelivery[]> {
    const previous = this.state.homes.snapshot(homeId)?.thermMode ?? 'schedule';
    this.state.homes.setThermMode(homeId, mode, undefined);
    return this.deliverToUser([thermModePush(this.state.user, homeId, mode, previous)]);
  }

  // -- webhooks -------------------------------------------------------------------------------

  /** The user's registered webhook URL (one per user and app, §3.1). */
  webhookUrl(): string | undefined {
    return this.state.webhooks.get(this.userId);
  }

  /** Every delivery attempt in order, with the receiver's status (0: no answer). */
  deliveries(): FakeDelivery[] {
    return [...this.push.log];
  }

  /** Delivers a body as is, signed with the client secret unless told otherwise; counts toward bans. */
  async deliverRaw(url: string, body: string, options: DeliverOptions = {}): Promise<FakeDelivery | undefined> {
    return this.push.deliver(url, body, options);
  }

  /** §3.3: five failed deliveries in a row ban the app's webhook for 24 h. */
  webhookBanned(): boolean {
    return this.push.banned();
  }

  unbanWebhook(): void {
    this.push.unban();
  }

  /** Resolves when every delivery started in the background (after API writes) has been answered. */
  deliveriesSettled(): Promise<void> {
    return this.push.settled();
  }

  /**
   * Does what a user does in the browser: opens the authorize page, signs in with the configured
   * credentials and presses Accept or Refuse. Returns the redirect's Location without following it.
   */
  async approve(authorizeUrl: string, decision: 'accept' | 'decline' = 'accept'): Promise<string> {
    const page = await fetch(authorizeUrl);
    const text = await page.text();
    const form = page.status === 200 ? readLoginForm(text) : undefined;
    if (!form) throw new Error(`fake netatmo: authorize page answered ${page.status}: ${pageError(text)}`);
    form.fields.set('username', this.state.user.email);
    form.fields.set('password', this.state.user.password);
    form.fields.set('decision', decision);
    const answer = await fetch(new URL(form.action, authorizeUrl), { method: 'POST', body: form.fields, redirect: 'manual' });
    const answerText = await answer.text();
    const location = answer.headers.get('location');
    if (answer.status !== 302 || !location) throw new Error(`fake netatmo: sign-in answered ${answer.status}: ${pageError(answerText)}`);
    return location;
  }

  // -- HTTP -----------------------------------------------------------------------------------

  private listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const { port: bound } = this.server.address() as AddressInfo;
        this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake-netatmo.invalid');
    const route = routeOf(method, url.pathname);
    const call = this.record(method, url.pathname, req);

    const body = await readBody(req);
    const form = formParams(req, body);
    if (route === 'token') {
      const grantType = form.get('grant_type');
      if (grantType) call.grantType = grantType;
    }

    if (route !== undefined && route !== 'authorize' && this.latencyMs > 0) {
      const slept = await sleep(this.latencyMs, true, { signal: this.stopping.signal }).catch(() => false);
      if (!slept) return; // stopping: the socket is being destroyed anyway
    }
    const fault = route && this.takeFault(route);
    if (fault) return injectFault(fault, route, req, res);

    switch (route) {
      case 'authorize':
        return send(res, method === 'GET' ? authorizePage(this.oauth, url.searchParams) : authorizeSubmit(this.oauth, form));
      case 'token':
        // §1.3: a form body; parameters in the query string are not part of Netatmo's contract.
        return send(res, token(this.oauth, form));
      case undefined:
        return send(res, json(404, { error: { code: 404, message: `No route for ${method} ${url.pathname}` } }));
      default: {
        const access = authenticate(this.state, req.headers.authorization);
        if (!access.ok) return send(res, apiError(access.code));
        const result = handleApi(route, {
          state: this.state,
          params: mergeParams(url.searchParams, form),
          access,
          now: this.now(),
          enforceWebhookPorts: this.enforceWebhookPorts,
        });
        return this.answer(res, result);
      }
    }
  }

  /**
   * Real webhooks arrive on their own schedule: after the answer. addwebhook's activation is the
   * exception: the fake lets it land first (so a client that saw 200 has been activated, which keeps
   * tests deterministic), but a slow receiver holds the answer back at most ACTIVATION_WAIT_MS.
   */
  private async answer(res: ServerResponse, result: ApiResult): Promise<void> {
    const pushes = result.pushes ?? [];
    if (result.pushBeforeReply) {
      const waited = sleep(ACTIVATION_WAIT_MS, undefined, { signal: this.stopping.signal, ref: false }).catch(() => undefined);
      await Promise.race([this.deliverToUser(pushes), waited]);
      return send(res, result.reply);
    }
    send(res, result.reply);
    if (pushes.length > 0) void this.deliverToUser(pushes);
  }

  /** In order, one at a time, as the real capture shows them (§3.4: two POSTs per change). */
  private async deliverToUser(pushes: Record<string, unknown>[]): Promise<FakeDelivery[]> {
    const url = this.webhookUrl();
    const done: FakeDelivery[] = [];
    if (!url) return done;
    for (const push of pushes) {
      const delivery = await this.push.deliver(url, JSON.stringify(push));
      if (delivery) done.push(delivery);
    }
    return done;
  }

  private record(method: string, path: string, req: IncomingMessage): FakeCall {
    const call: FakeCall = { method, path, at: this.now(), authorization: req.headers.authorization ? 'present' : 'absent' };
    this.state.calls.push(call);
    return call;
  }

  private takeFault(route: FakeRoute): FakeFault | undefined {
    const queue = this.faults.get(route);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    if (--next.remaining <= 0) queue.shift();
    return next.fault;
  }
}

// ---------------------------------------------------------------------------------------------
// Plumbing

function routeOf(method: string, path: string): FakeRoute | undefined {
  const getOrPost = method === 'GET' || method === 'POST';
  if (path === '/oauth2/authorize' && getOrPost) return 'authorize';
  if (path === '/oauth2/token' && method === 'POST') return 'token';
  const api = /^\/api\/([a-z]+)$/.exec(path)?.[1];
  // §2.3: the real server takes GET with a query and POST with a form body alike.
  if (api && getOrPost && (API_ROUTES as readonly string[]).includes(api)) return api as ApiRoute;
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function formParams(req: IncomingMessage, body: string): URLSearchParams {
  const type = req.headers['content-type'] ?? '';
  return type.toLowerCase().startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : new URLSearchParams();
}

/** The form body wins over the query string. */
function mergeParams(query: URLSearchParams, form: URLSearchParams): URLSearchParams {
  const merged = new URLSearchParams(query);
  for (const [name, value] of form) merged.set(name, value);
  return merged;
}

function defaultFaultBody(route: FakeRoute): unknown {
  // API errors use the nested shape (§2.1); code 11 is Netatmo's internal error.
  return route === 'authorize' || route === 'token' ? { error: 'server_error' } : { error: { code: 11, message: 'Internal error' } };
}

function injectFault(fault: FakeFault, route: FakeRoute, req: IncomingMessage, res: ServerResponse): void {
  switch (fault.kind) {
    case 'status':
      return send(res, json(fault.status, 'body' in fault ? fault.body : defaultFaultBody(route)));
    case 'hang':
      return; // never answered; stop() destroys the socket
    case 'malformed':
      res.writeHead(200, { 'content-type': JSON_TYPE });
      res.end('{"body":{"homes":[{"id":"5c4f');
      return;
    case 'reset':
      req.socket.destroy();
      return;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  switch (reply.kind) {
    case 'json':
      res.writeHead(reply.status, { 'content-type': JSON_TYPE, ...reply.headers });
      res.end(JSON.stringify(reply.body) ?? '');
      return;
    case 'html':
      res.writeHead(reply.status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(reply.html);
      return;
    case 'redirect':
      res.writeHead(302, { location: reply.location, 'cache-control': 'no-store' });
      res.end();
      return;
  }
}

function internalError(res: ServerResponse, error: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  send(res, json(500, { error: { code: 11, message: `fake internal error: ${message}` } }));
}

/** The message of an error page, for approve()'s exceptions. */
function pageError(page: string): string {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(page)?.[1] ?? page.slice(0, 200);
}

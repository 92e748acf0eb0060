import {
  approveInBrowser,
  FakeCloudBase,
  FakeHttpServer,
  handleAuthorize,
  mergeParams,
  type AuthorizeFlow,
  type FakeRequest,
  type Reply,
} from '../../../src/connectors/fake-cloud';
import { DEFAULT_HOMES, DEFAULT_USER, newHexId } from './accounts';
import { apiError, authenticate, handleApi, roomPushes } from './api';
import type {
  FakeHome,
  FakeHomeSeed,
  FakeRoom,
  FakeRoomSeed,
  HomeMode,
  ModuleStatePatch,
  RoomStatePatch,
  SetpointMode,
} from './device-types';
import { FAILURE_SHAPES } from './faults';
import { authorizeFlow, token, type OAuthConfig } from './oauth';
import { thermModePush, WebhookDeliverer, type DeliverOptions, type FakeDelivery } from './push';
import { routeOf, type FakeRoute } from './routes';
import { FakeState } from './state';
import type { TokenResponse } from './tokens';
import { UserWebhook } from './webhooks';

/**
 * A fake Netatmo cloud over real HTTP, for tests and the local demo: OAuth code flow
 * (/oauth2/authorize, /oauth2/token with rotating refresh tokens), the Energy API under /api
 * (homesdata, homestatus, setroomthermpoint, setthermmode), webhook registration
 * (addwebhook, dropwebhook) and signed webhook delivery with Netatmo's ban rule, plus fault hooks.
 * Behaviour follows /work/shared/netatmo-api.md (cited as §n); where it deliberately differs, it says so.
 */

export type { FakeCall, FakeFault } from '../../../src/connectors/fake-cloud';
export type {
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
} from './device-types';
export type { TokenResponse } from './tokens';
export type { DeliverOptions, FakeDelivery } from './push';
export type { FakeRoute } from './routes';
export { DEFAULT_HOMES } from './accounts';

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

export class FakeNetatmo extends FakeCloudBase<FakeRoute> {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly userId: string;
  private readonly state: FakeState;
  private readonly oauth: OAuthConfig;
  private readonly authorize: AuthorizeFlow;
  private readonly push: WebhookDeliverer;
  private readonly webhook: UserWebhook;
  private readonly now: () => number;
  private readonly enforceWebhookPorts: boolean;
  /** Its signal, aborted by stop(), also wakes waits and cancels deliveries under way. */
  protected readonly http: FakeHttpServer<FakeRoute>;

  static async start(opts: FakeNetatmoOptions = {}): Promise<FakeNetatmo> {
    const fake = new FakeNetatmo(opts);
    await fake.http.listen(opts.host, opts.port);
    return fake;
  }

  private constructor(opts: FakeNetatmoOptions) {
    super();
    this.clientId = opts.clientId ?? '5f0a1b2c3d4e5f6a7b8c9d0e';
    this.clientSecret = opts.clientSecret ?? 'fake-netatmo-client-secret-0123456789';
    this.userId = opts.userId ?? newHexId();
    this.now = opts.now ?? Date.now;
    this.enforceWebhookPorts = opts.enforceWebhookPorts ?? false;
    this.state = new FakeState({
      accessTokenTtlS: opts.accessTokenTtlS ?? 10_800,
      now: this.now,
      user: { id: this.userId, email: opts.username ?? DEFAULT_USER.email, password: opts.password ?? DEFAULT_USER.password },
      homes: opts.homes ?? DEFAULT_HOMES,
    });
    this.oauth = { tokens: this.state.tokens, clientId: this.clientId, clientSecret: this.clientSecret, user: this.state.user };
    this.authorize = authorizeFlow(this.oauth);
    this.http = new FakeHttpServer<FakeRoute>({
      route: routeOf,
      handle: (request) => this.handle(request),
      ...FAILURE_SHAPES,
      jsonType: 'application/json; charset=utf-8',
      unthrottled: ['authorize'],
      grantType: (request) => (request.route === 'token' ? request.form.get('grant_type') ?? undefined : undefined),
      calls: this.state.calls,
      now: this.now,
    });
    this.push = new WebhookDeliverer({
      clientSecret: this.clientSecret,
      now: this.now,
      timeoutMs: opts.deliveryTimeoutMs ?? 10_000,
      banAfterFailures: opts.banAfterFailures ?? 5,
      banMs: opts.banMs ?? 24 * 60 * 60 * 1000,
      signal: this.http.signal,
    });
    this.webhook = new UserWebhook({ registry: this.state.webhooks, userId: this.userId, push: this.push, signal: this.http.signal });
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
    return this.webhook.deliver(roomPushes(this.state, homeId, roomId, this.now()));
  }

  /** A user switches the home to schedule, away or frost guard: every room follows, one therm_mode push. */
  async userSetsThermMode(homeId: string, mode: HomeMode): Promise<FakeDelivery[]> {
    const previous = this.state.homes.snapshot(homeId)?.thermMode ?? 'schedule';
    this.state.homes.setThermMode(homeId, mode, undefined);
    return this.webhook.deliver([thermModePush(this.state.user, homeId, mode, previous)]);
  }

  // -- webhooks -------------------------------------------------------------------------------

  /** The user's registered webhook URL (one per user and app, §3.1). */
  webhookUrl(): string | undefined {
    return this.webhook.url();
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
    const { email: username, password } = this.state.user;
    return approveInBrowser({ authorizeUrl, username, password, decision, who: 'fake netatmo' });
  }

  // -- HTTP -----------------------------------------------------------------------------------

  private async handle(request: FakeRequest<FakeRoute>): Promise<Reply> {
    const { url, form, route } = request;
    switch (route) {
      case 'authorize':
        return handleAuthorize(this.authorize, request);
      case 'token':
        // §1.3: a form body; parameters in the query string are not part of Netatmo's contract.
        return token(this.oauth, request);
      default: {
        const access = authenticate(this.state, request.headers.authorization);
        if (!access.ok) return apiError(access.code);
        const result = handleApi(route, {
          state: this.state,
          params: mergeParams(url.searchParams, form),
          access,
          now: this.now(),
          enforceWebhookPorts: this.enforceWebhookPorts,
        });
        return this.webhook.answer(request, result);
      }
    }
  }
}

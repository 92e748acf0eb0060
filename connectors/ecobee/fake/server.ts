import {
  approveInBrowser,
  FakeCloudBase,
  FakeHttpServer,
  grantTypeOf,
  handleAuthorize,
  handleRevoke,
  handleToken,
  type AuthorizeFlow,
  type FakeRequest,
  type Reply,
  type TokenEndpointOptions,
} from '../../../src/connectors/fake-cloud';
import { DEFAULT_THERMOSTATS, DEFAULT_USER, type FakeUser } from './accounts';
import { authenticate, summaryEndpoint, thermostatEndpoint } from './api';
import type { FakeThermostat, FakeThermostatSeed, RuntimePatch } from './device-types';
import { FAILURE_SHAPES } from './faults';
import { authorizeFlow, parseScope, tokenEndpoint, tokenResponse, withRefreshAlias, type RefreshTokenReuse, type TokenResponse } from './oauth';
import { routeOf, type FakeRoute } from './routes';
import { FakeState } from './state';

/**
 * A fake ecobee cloud over real HTTP, for tests and the local demo: OAuth code flow (/authorize,
 * /token), /1/thermostat (GET and POST) and /1/thermostatSummary, with fault hooks. Behaviour
 * follows /work/shared/ecobee-api.md (cited as §n); where it deliberately differs, it says so.
 */

export type { FakeCall, FakeFault } from '../../../src/connectors/fake-cloud';
export type {
  FakeRemoteSensor,
  FakeRuntime,
  FakeSettings,
  FakeThermostat,
  FakeThermostatSeed,
  HvacMode,
  RuntimePatch,
} from './device-types';
export type { TokenResponse } from './oauth';
export type { FakeRoute } from './routes';
export { DEFAULT_THERMOSTATS } from './accounts';

export interface FakeEcobeeOptions {
  clientId?: string;
  host?: string;
  port?: number;
  thermostats?: FakeThermostatSeed[];
  /** §1.7: 'strict' (legacy docs) kills a refresh token once used; 'lenient' (current docs) keeps it. */
  refreshTokenReuse?: RefreshTokenReuse;
  accessTokenTtlS?: number;
  username?: string;
  password?: string;
  /** Clock for token/code expiry, revisions and call times (ms since epoch). Defaults to Date.now. */
  now?: () => number;
  /**
   * Serve an RFC 7009 revocation endpoint at POST /revoke. ecobee documents none (users remove an
   * app in the ecobee portal), so it is off by default; tests of uninstall's revocation turn it on.
   */
  revocationEndpoint?: boolean;
}

/** What the fake's revocation endpoint was asked (never the token itself). */
export interface FakeRevocation {
  tokenTypeHint: string | undefined;
  /** Whether the token was one the fake had issued (and is now revoked). */
  known: boolean;
}

export class FakeEcobee extends FakeCloudBase<FakeRoute> {
  readonly clientId: string;
  private readonly state: FakeState;
  private readonly user: FakeUser;
  private readonly authorize: AuthorizeFlow;
  private readonly token: TokenEndpointOptions;
  protected readonly http: FakeHttpServer<FakeRoute>;
  /** Every accepted revocation request, in order. */
  readonly revocations: FakeRevocation[] = [];

  static async start(opts: FakeEcobeeOptions = {}): Promise<FakeEcobee> {
    const fake = new FakeEcobee(opts);
    await fake.http.listen(opts.host, opts.port);
    return fake;
  }

  private constructor(opts: FakeEcobeeOptions) {
    super();
    this.clientId = opts.clientId ?? 'fake-ecobee-client';
    const now = opts.now ?? Date.now;
    this.state = new FakeState({
      accessTokenTtlS: opts.accessTokenTtlS ?? 3599, // §1.4
      refreshTokenReuse: opts.refreshTokenReuse ?? 'strict',
      now,
      thermostats: opts.thermostats ?? DEFAULT_THERMOSTATS,
    });
    this.user = { username: opts.username ?? DEFAULT_USER.username, password: opts.password ?? DEFAULT_USER.password };
    this.authorize = authorizeFlow(this.state.tokens, this.clientId, this.user);
    this.token = tokenEndpoint(this.state.tokens, this.clientId, (revocation) => this.revocations.push(revocation));
    this.http = new FakeHttpServer<FakeRoute>({
      route: (method, path) => routeOf(method, path, opts.revocationEndpoint === true),
      handle: (request) => this.handle(request),
      ...FAILURE_SHAPES,
      jsonType: 'application/json;charset=UTF-8',
      unthrottled: ['authorize'],
      grantType: (request) => (request.route === 'token' ? grantTypeOf(request) : undefined),
      onArrival: (route, res) => {
        // In flight from arrival until the response closes (answered, reset, or destroyed by stop()).
        if (route !== 'thermostat' && route !== 'thermostatSummary') return;
        this.state.apiRequestStarted();
        res.once('close', () => this.state.apiRequestEnded());
      },
      calls: this.state.calls,
      now,
    });
  }

  // -- counters -------------------------------------------------------------------------------

  /** POST /token with grant_type=refresh_token, whatever the outcome (faulted ones included). */
  refreshCount(): number {
    return this.state.refreshCount();
  }

  /**
   * Refreshes that presented a refresh token already used by an earlier successful refresh; counted
   * in lenient mode too, where such a refresh still succeeds.
   */
  staleRefreshAttempts(): number {
    return this.state.tokens.staleRefreshAttempts();
  }

  maxConcurrentApiRequests(): number {
    return this.state.maxConcurrentApiRequests();
  }

  // -- fault hooks ----------------------------------------------------------------------------

  expireAccessTokens(): void {
    this.state.tokens.expireAccessTokens();
  }

  deauthorize(): void {
    this.state.tokens.deauthorize();
  }

  /** Tokens for a fresh grant without the browser flow, for tests that don't exercise OAuth. */
  issueTokens(scope = 'smartRead,smartWrite'): TokenResponse {
    return tokenResponse(this.state.tokens.issueForTest(this.user.username, parseScope(scope)));
  }

  // -- devices --------------------------------------------------------------------------------

  thermostats(): FakeThermostat[] {
    return this.state.thermostats.identifiers().flatMap((id) => this.state.thermostats.snapshot(id) ?? []);
  }

  thermostat(identifier: string): FakeThermostat | undefined {
    return this.state.thermostats.snapshot(identifier);
  }

  addThermostat(seed: FakeThermostatSeed): void {
    this.state.thermostats.add(seed);
  }

  removeThermostat(identifier: string): void {
    this.state.thermostats.remove(identifier);
  }

  renameThermostat(identifier: string, name: string): void {
    this.state.thermostats.rename(identifier, name);
  }

  /** Also accepts `connected` (moves runtimeRev and the summary's connected field). */
  setRuntime(identifier: string, patch: RuntimePatch): void {
    this.state.thermostats.setRuntime(identifier, patch);
  }

  /**
   * Does what a user does in the browser: opens the authorize page, signs in with the configured
   * credentials and presses Accept or Decline. Returns the redirect's Location without following it.
   */
  async approve(authorizeUrl: string, decision: 'accept' | 'decline' = 'accept'): Promise<string> {
    const { username, password } = this.user;
    return approveInBrowser({ authorizeUrl, username, password, decision, who: 'fake ecobee' });
  }

  // -- HTTP -----------------------------------------------------------------------------------

  private handle(request: FakeRequest<FakeRoute>): Reply {
    const { method, url, headers } = request;
    switch (request.route) {
      case 'authorize':
        return handleAuthorize(this.authorize, request);
      case 'token':
        return handleToken(this.token, withRefreshAlias(request));
      case 'revoke':
        // RFC 7009 §2.1: client authentication as at the token endpoint; §2.2: 200 also for an unknown token.
        return handleRevoke(this.token, request);
      case 'thermostat':
      case 'thermostatSummary': {
        const denied = authenticate(this.state.tokens, headers.authorization);
        if (denied) return denied;
        const endpoint = request.route === 'thermostat' ? thermostatEndpoint : summaryEndpoint;
        return endpoint(this.state.thermostats, { method, query: url.searchParams, body: request.body });
      }
    }
  }
}

import { randomBytes } from 'node:crypto';
import {
  approveInBrowser,
  FakeCloudBase,
  FakeHttpServer,
  grantTypeOf,
  handleAuthorize,
  handleToken,
  TokenLedger,
  type AuthorizeFlow,
  type FakeCall,
  type FakeRequest,
  type IssuedTokens,
  type Reply,
  type TokenEndpointOptions,
} from '../../../src/connectors/fake-cloud';
import { FAILURE_SHAPES, handleApi, routeOf, type FakeRoute } from './api';
import { DEFAULT_LOCATIONS, LocationStore, type FakeThermostat, type LocationSeed } from './devices';
import { signInPages } from './pages';

/**
 * A fake Honeywell Home (Resideo) cloud over real HTTP, for tests and the demo, built on the
 * fake-cloud kit: the kit's token ledger and token endpoint with Honeywell's data (HTTP Basic
 * client auth, `expires_in` as a string, rotating refresh tokens, 400 invalid_grant), the /v2 API
 * with apikey and locationId, and Honeywell's error bodies. Follows /work/shared/honeywell-api.md (§n).
 */

export type { FakeRoute } from './api';
export type { FakeLocation, FakeThermostat, LocationSeed, ThermostatSeed } from './devices';
export { DEFAULT_LOCATIONS } from './devices';

export interface FakeHoneywellOptions {
  clientId?: string;
  clientSecret?: string;
  host?: string;
  port?: number;
  locations?: readonly LocationSeed[];
  username?: string;
  password?: string;
  /** §2: "1799", about 30 minutes. */
  accessTokenTtlS?: number;
  /** §2: a refresh may return a new refresh token; clients keep the newest. On by default. */
  rotation?: boolean;
  /** Answer bad tokens with Apigee `fault` bodies instead of `{code, message}` (§5 [U]). */
  apigeeFaults?: boolean;
  now?: () => number;
}

/** A Consumer Key looks like 32 alphanumerics. */
const consumerKey = (): string => randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 32).padEnd(32, 'x');

export class FakeHoneywell extends FakeCloudBase<FakeRoute> {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly username: string;
  readonly password: string;
  readonly locations: LocationStore;
  /** Test switch: answer bad tokens with Apigee fault bodies (§5). */
  apigeeFaults: boolean;
  private readonly ledger: TokenLedger;
  private readonly token: TokenEndpointOptions;
  private readonly authorize: AuthorizeFlow;
  private readonly log: FakeCall[] = [];
  protected readonly http: FakeHttpServer<FakeRoute>;

  static async start(opts: FakeHoneywellOptions = {}): Promise<FakeHoneywell> {
    const fake = new FakeHoneywell(opts);
    await fake.http.listen(opts.host, opts.port);
    return fake;
  }

  private constructor(opts: FakeHoneywellOptions) {
    super();
    const now = opts.now ?? Date.now;
    this.clientId = opts.clientId ?? consumerKey();
    this.clientSecret = opts.clientSecret ?? consumerKey();
    this.username = opts.username ?? 'demo@example.com';
    this.password = opts.password ?? 'demo';
    this.apigeeFaults = opts.apigeeFaults ?? false;
    this.locations = new LocationStore(opts.locations ?? DEFAULT_LOCATIONS);
    this.ledger = new TokenLedger({ accessTokenTtlS: opts.accessTokenTtlS ?? 1799, rotation: opts.rotation ?? true, now });
    this.token = {
      ledger: this.ledger,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      // §2: Basic on the token endpoint; HA repeats the id and secret in the body, which is accepted.
      clientAuth: 'basic',
      tokenBody: (t: IssuedTokens) => ({
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        // §2: a string.
        expires_in: String(t.expiresInS),
        token_type: 'Bearer',
      }),
      refusals: { invalid_client: { status: 401, body: { code: 401, message: 'Invalid client credentials' } } },
    };
    this.authorize = {
      clientId: this.clientId,
      pages: signInPages,
      // §2: no scope is documented; an empty one grants the account's devices.
      defaultScope: '',
      responseType: 'required',
      signIn: (username, password) => username === this.username && password === this.password,
      issueCode: (request) => this.ledger.createCode({ subject: this.username, redirectUri: request.redirectUri, scope: [], codeChallenge: request.codeChallenge }),
      declined: { error: 'access_denied' },
    };
    this.http = new FakeHttpServer<FakeRoute>({
      route: routeOf,
      handle: (request) => this.handle(request),
      ...FAILURE_SHAPES,
      jsonType: 'application/json; charset=utf-8',
      unthrottled: ['authorize'],
      grantType: (request) => (request.route === 'token' ? grantTypeOf(request) : undefined),
      calls: this.log,
      now,
    });
  }

  // -- what the conformance kit and tests use ------------------------------------------------

  refreshCount(): number {
    return this.log.filter((c) => c.path === '/oauth2/token' && c.grantType === 'refresh_token').length;
  }

  staleRefreshAttempts(): number {
    return this.ledger.staleRefreshAttempts();
  }

  expireAccessTokens(): void {
    this.ledger.expireAccessTokens();
  }

  /** The user removed the app: refreshes get 400 invalid_grant (§2), calls 401. */
  deauthorize(): void {
    this.ledger.deauthorize();
  }

  issueTokens(): IssuedTokens {
    return this.ledger.issueForTest(this.username);
  }

  thermostat(deviceId: string): FakeThermostat | undefined {
    return this.locations.find(deviceId);
  }

  approve(authorizeUrl: string, decision: 'accept' | 'decline' = 'accept'): Promise<string> {
    return approveInBrowser({ authorizeUrl, username: this.username, password: this.password, decision, who: 'fake honeywell' });
  }

  // -- HTTP -----------------------------------------------------------------------------------

  private handle(request: FakeRequest<FakeRoute>): Reply {
    switch (request.route) {
      case 'authorize':
        return handleAuthorize(this.authorize, request);
      case 'token':
        return handleToken(this.token, request);
      default: {
        const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
        return handleApi({
          route: request.route,
          method: request.method,
          path: request.url.pathname,
          query: request.url.searchParams,
          body: request.body,
          access: this.ledger.checkAccess(bearer),
          clientId: this.clientId,
          apigeeFaults: this.apigeeFaults,
          locations: this.locations,
        });
      }
    }
  }
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate, statusObject, summaryEndpoint, thermostatEndpoint } from './api';
import { authorizePage, authorizeSubmit, basicClientId, token, type OAuthConfig } from './oauth';
import { readLoginForm } from './pages';
import { json, type Reply } from './reply';
import {
  FakeState,
  type FakeCall,
  type FakeThermostat,
  type FakeThermostatSeed,
  type RuntimePatch,
  type TokenResponse,
} from './state';

/**
 * A fake ecobee cloud over real HTTP, for tests and the local demo: OAuth code flow (/authorize,
 * /token), /1/thermostat (GET and POST) and /1/thermostatSummary, with fault hooks. Behaviour
 * follows /work/shared/ecobee-api.md (cited as §n); where it deliberately differs, it says so.
 */

export type {
  FakeCall,
  FakeRemoteSensor,
  FakeRuntime,
  FakeSettings,
  FakeThermostat,
  FakeThermostatSeed,
  HvacMode,
  RuntimePatch,
  TokenResponse,
} from './state';

export interface FakeEcobeeOptions {
  clientId?: string;
  host?: string;
  port?: number;
  thermostats?: FakeThermostatSeed[];
  /** §1.7: 'strict' (legacy docs) kills a refresh token once used; 'lenient' (current docs) keeps it. */
  refreshTokenReuse?: 'strict' | 'lenient';
  accessTokenTtlS?: number;
  username?: string;
  password?: string;
  /** Clock for token/code expiry, revisions and call times (ms since epoch). Defaults to Date.now. */
  now?: () => number;
}

export type FakeRoute = 'authorize' | 'token' | 'thermostat' | 'thermostatSummary';

export type FakeFault =
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'reset' };

export const DEFAULT_THERMOSTATS: readonly FakeThermostatSeed[] = [
  { identifier: '311000000001', name: 'Living Room' },
  { identifier: '311000000002', name: 'Upstairs' },
  { identifier: '311000000003', name: 'Basement' },
];

const JSON_TYPE = 'application/json;charset=UTF-8';
const MAX_BODY_BYTES = 1024 * 1024;

interface QueuedFault {
  fault: FakeFault;
  remaining: number;
}

export class FakeEcobee {
  readonly clientId: string;
  private readonly state: FakeState;
  private readonly oauth: OAuthConfig;
  private readonly now: () => number;
  private readonly server: Server;
  private readonly faults = new Map<FakeRoute, QueuedFault[]>();
  /** Aborted by stop(): wakes requests sleeping in setLatency() so they never answer late. */
  private readonly stopping = new AbortController();
  private latencyMs = 0;
  private baseUrl = '';
  private stopped: Promise<void> | undefined;

  static async start(opts: FakeEcobeeOptions = {}): Promise<FakeEcobee> {
    const fake = new FakeEcobee(opts);
    await fake.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
    return fake;
  }

  private constructor(opts: FakeEcobeeOptions) {
    this.clientId = opts.clientId ?? 'fake-ecobee-client';
    this.now = opts.now ?? Date.now;
    this.state = new FakeState({
      clientId: this.clientId,
      accessTokenTtlS: opts.accessTokenTtlS ?? 3599, // §1.4
      refreshTokenReuse: opts.refreshTokenReuse ?? 'strict',
      now: this.now,
      thermostats: opts.thermostats ?? DEFAULT_THERMOSTATS,
    });
    this.oauth = {
      tokens: this.state.tokens,
      username: opts.username ?? 'demo@example.com',
      password: opts.password ?? 'demo',
    };
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

  expireAccessTokens(): void {
    this.state.tokens.expireAccessTokens();
  }

  deauthorize(): void {
    this.state.tokens.deauthorize();
  }

  /** Tokens for a fresh grant without the browser flow, for tests that don't exercise OAuth. */
  issueTokens(scope = 'smartRead,smartWrite'): TokenResponse {
    return this.state.tokens.issueForTest(scope);
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
    const page = await fetch(authorizeUrl);
    const text = await page.text();
    const form = page.status === 200 ? readLoginForm(text) : undefined;
    if (!form) throw new Error(`fake ecobee: authorize page answered ${page.status}: ${pageError(text)}`);
    form.fields.set('username', this.oauth.username);
    form.fields.set('password', this.oauth.password);
    form.fields.set('decision', decision);
    const answer = await fetch(new URL(form.action, authorizeUrl), {
      method: 'POST',
      body: form.fields,
      redirect: 'manual',
    });
    const answerText = await answer.text();
    const location = answer.headers.get('location');
    if (answer.status !== 302 || !location) {
      throw new Error(`fake ecobee: sign-in answered ${answer.status}: ${pageError(answerText)}`);
    }
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
    const url = new URL(req.url ?? '/', 'http://fake-ecobee.invalid');
    const route = routeOf(method, url.pathname);
    const call = this.record(method, url.pathname, req);
    if (route === 'thermostat' || route === 'thermostatSummary') this.trackApiRequest(res);

    const body = await readBody(req);
    const form = formParams(req, body);
    const tokenParams = route === 'token' ? mergeParams(url.searchParams, form) : undefined;
    const grantType = tokenParams?.get('grant_type');
    if (grantType) call.grantType = grantType;

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
        return send(res, token(this.state.tokens, tokenParams ?? form, basicClientId(req.headers.authorization)));
      case 'thermostat':
      case 'thermostatSummary': {
        const denied = authenticate(this.state.tokens, req.headers.authorization);
        if (denied) return send(res, denied);
        const request = { method, query: url.searchParams, body };
        const endpoint = route === 'thermostat' ? thermostatEndpoint : summaryEndpoint;
        return send(res, endpoint(this.state.thermostats, request));
      }
      case undefined:
        return send(res, json(404, { error: 'not_found', error_description: `No route for ${method} ${url.pathname}` }));
    }
  }

  private record(method: string, path: string, req: IncomingMessage): FakeCall {
    const call: FakeCall = {
      method,
      path,
      at: this.now(),
      authorization: req.headers.authorization ? 'present' : 'absent',
    };
    this.state.calls.push(call);
    return call;
  }

  /** In flight from arrival until the response closes (answered, reset, or destroyed by stop()). */
  private trackApiRequest(res: ServerResponse): void {
    this.state.apiRequestStarted();
    res.once('close', () => this.state.apiRequestEnded());
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
  if (path === '/authorize' && getOrPost) return 'authorize';
  if (path === '/token' && method === 'POST') return 'token';
  if (path === '/1/thermostat' && getOrPost) return 'thermostat';
  // POST is routed so that it can get §6 code 12 ("Post not supported for request").
  if (path === '/1/thermostatSummary' && getOrPost) return 'thermostatSummary';
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

/** §1.3: /token parameters come in the query string or a form body; the body wins. */
function mergeParams(query: URLSearchParams, form: URLSearchParams): URLSearchParams {
  const merged = new URLSearchParams(query);
  for (const [name, value] of form) merged.set(name, value);
  return merged;
}

function defaultFaultBody(route: FakeRoute): unknown {
  // /1/* errors carry a status object (§6); code 3 is ecobee's catch-all "Processing error.".
  return route === 'thermostat' || route === 'thermostatSummary' ? { status: statusObject(3) } : { error: 'server_error' };
}

function injectFault(fault: FakeFault, route: FakeRoute, req: IncomingMessage, res: ServerResponse): void {
  switch (fault.kind) {
    case 'status':
      return send(res, json(fault.status, 'body' in fault ? fault.body : defaultFaultBody(route)));
    case 'hang':
      return; // never answered; stop() destroys the socket
    case 'malformed':
      // A cut-off JSON document, labelled as JSON: the nastiest kind of "not JSON".
      res.writeHead(200, { 'content-type': JSON_TYPE });
      res.end('{"status":{"code":0,"mess');
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
  send(res, json(500, { error: 'fake_internal_error', error_description: message }));
}

/** The message of an error page, for approve()'s exceptions. */
function pageError(page: string): string {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(page)?.[1] ?? page.slice(0, 200);
}

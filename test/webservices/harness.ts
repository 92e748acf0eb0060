import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { eventCursorCovers } from '../../src/platform/event-cursor';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { eventually, link } from '../helpers/link';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { keyNames } from '../helpers/key-names';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

/** The external system's browser: a cookie jar, forms, and redirects followed by hand. */
export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  private remember(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  private headers(): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return { accept: 'text/html', ...(cookie ? { cookie } : {}) };
  }

  async get(url: string): Promise<Response> {
    return this.remember(await fetch(url, { redirect: 'manual', headers: this.headers() }));
  }

  async post(url: string, form: Record<string, string | string[]>): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
    return this.remember(
      await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
    );
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  forget(name: string): void {
    this.cookies.delete(name);
  }
}

export const csrfOf = (page: string): string => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
/** Every hidden input of a page's form (the sign-in form carries the sealed request, later ones the CSRF token). */
export const hiddenFieldsOf = (page: string): Record<string, string> =>
  Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
export const deviceIdsOn = (page: string): string[] => [...page.matchAll(/name="devices" value="([^"]+)"/g)].map((m) => m[1] ?? '');

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What we answered. */
  status: number;
}

/** The external system's own server: its OAuth redirect URI (/cb) and its webhook target (/hook). */
export class ExternalSystem {
  readonly received: Received[] = [];
  /** Status answers for the next webhook POSTs, then 200. */
  failures: number[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ExternalSystem> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sys = new ExternalSystem(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const status = path.startsWith('/hook') ? (sys.failures.shift() ?? 200) : 200;
        sys.received.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    return sys;
  }

  get callbackUri(): string {
    return `${this.url}/cb`;
  }

  get hookUrl(): string {
    return `${this.url}/hook`;
  }

  /** Lifecycle bodies accepted (2xx) at the hook, in arrival order. */
  hooks(): { lifecycle: string; body: Record<string, unknown>; raw: string; signature: string | undefined }[] {
    return this.received
      .filter((r) => r.method === 'POST' && r.path === '/hook' && r.status < 300)
      .map((r) => {
        const body = JSON.parse(r.body) as Record<string, unknown>;
        return { lifecycle: String(body['lifecycle']), body, raw: r.body, signature: r.headers['x-sm-signature'] as string | undefined };
      });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface World {
  host: NeutralHost;
  workers: RunningWorkers | undefined;
  sys: ExternalSystem;
  installationId: string;
  locationId: string;
  /** Child devices by external id (dev-1..3). */
  devices: Map<string, string>;
  user: { id: string; username: string; password: string };
  client: { clientId: string; clientSecret: string };
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse battery';

/** A host (with workers unless told otherwise) and a linked installation of the neutral connector with all three devices as child devices. */
export async function startWorld(
  options: { workers?: boolean; now?: () => number; clientScopes?: string[]; clientName?: string; env?: Record<string, string> } = {},
): Promise<World> {
  const host = await startNeutralHost({
    env: { WS_DELIVERY_BACKOFF_MS: '20', WS_DELIVERY_ATTEMPTS: '8', ...options.env },
    ...(options.now ? { now: options.now } : {}),
  });
  const workers = options.workers === false ? undefined : startWorkers(host.services, { concurrency: 4 });
  const sys = await ExternalSystem.start();
  const inst = await link(host, undefined, NEUTRAL_CONNECTOR);
  const sel = await host.admin(`/api/installations/${inst.id}/settings`, {
    method: 'PUT',
    body: JSON.stringify({ devices: ['dev-1', 'dev-2', 'dev-3'] }),
  });
  expect(sel.status).toBe(200);
  const installation = (await (await host.admin(`/api/installations/${inst.id}`)).json()) as { locationId: string };
  const list = ((await (await host.admin(`/api/installations/${inst.id}/devices`)).json()) as { items: { id: string; externalId: string }[] }).items;
  const username = `user-${Math.random().toString(36).slice(2, 8)}`;
  const userRes = await host.admin('/api/users', {
    method: 'POST',
    body: JSON.stringify({ username, password: PASSWORD, locations: [{ id: installation.locationId, name: 'Home <sweet> home' }, { id: 'empty-loc', name: 'Cabin' }] }),
  });
  expect(userRes.status).toBe(201);
  const user = (await userRes.json()) as { id: string };
  const clientRes = await host.admin('/api/clients', {
    method: 'POST',
    body: JSON.stringify({ name: options.clientName ?? 'Automations Inc', redirectUris: [sys.callbackUri], scopes: options.clientScopes ?? ['app'] }),
  });
  expect(clientRes.status).toBe(201);
  const client = (await clientRes.json()) as { clientId: string; clientSecret: string };
  return {
    host,
    workers,
    sys,
    installationId: inst.id,
    locationId: installation.locationId,
    devices: new Map(list.map((d) => [d.externalId, d.id])),
    user: { id: user.id, username, password: PASSWORD },
    client,
    async close() {
      await workers?.close();
      await host.services.webServices.deliveries.close();
      await sys.close();
      await host.close();
    },
  };
}

export function authorizeUrl(w: World, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: w.client.clientId,
    redirect_uri: w.sys.callbackUri,
    scope: 'app',
    state: 'st-123',
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) query.set(k, v);
  return `${w.host.url}/oauth/authorize?${query.toString()}`;
}

/** Walks the pages as the user: sign in, pick the location, tick `devices`, press the button. Returns the final redirect. */
export async function consent(
  w: World,
  options: { devices: string[]; decision?: 'allow' | 'deny'; url?: string; browser?: FormBrowser },
): Promise<{ location: URL; browser: FormBrowser }> {
  const browser = options.browser ?? new FormBrowser();
  const login = await browser.get(options.url ?? authorizeUrl(w));
  expect(login.status).toBe(200);
  const afterLogin = await browser.post(`${w.host.url}/oauth/authorize/login`, {
    ...hiddenFieldsOf(await login.text()),
    username: w.user.username,
    password: w.user.password,
  });
  expect(afterLogin.status).toBe(303);
  const locPage = await browser.get(`${w.host.url}${afterLogin.headers.get('location') ?? ''}`);
  expect(locPage.status).toBe(200);
  const afterLoc = await browser.post(`${w.host.url}/oauth/authorize/location`, { csrf: csrfOf(await locPage.text()), locationId: w.locationId });
  expect(afterLoc.status).toBe(303);
  const devPage = await browser.get(`${w.host.url}${afterLoc.headers.get('location') ?? ''}`);
  expect(devPage.status).toBe(200);
  const done = await browser.post(`${w.host.url}/oauth/authorize/consent`, {
    csrf: csrfOf(await devPage.text()),
    decision: options.decision ?? 'allow',
    devices: options.devices,
  });
  expect(done.status).toBe(303);
  return { location: new URL(done.headers.get('location') ?? ''), browser };
}

export async function token(w: World, form: Record<string, string>, init: { basic?: boolean; headers?: Record<string, string> } = {}) {
  const body = new URLSearchParams(form);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...init.headers };
  if (init.basic) {
    headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(w.client.clientId)}:${encodeURIComponent(w.client.clientSecret)}`).toString('base64')}`;
  } else if (!('client_id' in form)) {
    body.set('client_id', w.client.clientId);
    body.set('client_secret', w.client.clientSecret);
  }
  const res = await fetch(`${w.host.url}/oauth/token`, { method: 'POST', headers, body });
  return { res, json: (await res.json()) as Record<string, unknown> };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

/** Consent + code exchange: what a well-behaved external system does. */
export async function authorizeAndExchange(w: World, devices: string[], scope?: string): Promise<{ tokens: Tokens; code: string }> {
  const { location } = await consent(w, { devices, ...(scope ? { url: authorizeUrl(w, { scope }) } : {}) });
  const code = location.searchParams.get('code') ?? '';
  const { res, json } = await token(w, { grant_type: 'authorization_code', code, redirect_uri: w.sys.callbackUri });
  expect(res.status).toBe(200);
  return { tokens: json as unknown as Tokens, code };
}

export function bearer(w: World, accessToken: string) {
  return (path: string, init: RequestInit = {}) =>
    fetch(path.startsWith('http') ? path : `${w.host.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', ...init.headers },
    });
}

/** Waits until the fan-out has routed every event written so far and no delivery is pending. */
export async function deliveriesSettled(w: World): Promise<void> {
  const keys = keyNames(w.host.services.keys);
  await eventually(async () => {
    const last = await w.host.services.events.lastGlobalCursor();
    const cursor = await w.host.inspect.get(keys.ws.fanoutCursor());
    if (!cursor || (last && !eventCursorCovers(cursor, last, w.host.services.keys.partitions.count))) return false;
    return (await w.host.inspect.scard(keys.ws.activeDrains())) === 0;
  }, 'deliveries to settle');
}

/** App installation records (not their companion sets). */
export async function appRecords(w: World): Promise<string[]> {
  return (await w.host.inspect.keys(`${w.host.config.keyPrefix}:ws:app:*`)).filter((k) => /:ws:app:[0-9a-f-]{36}$/.test(k));
}

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp } from '../../src/runtime/http/app';
import { GUARD_KINDS, guardKindOf, type GuardKind } from '../../src/runtime/http/guards';
import { createInstallation } from '../helpers/link';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

// Issue 14.1: a guard belongs to each route, never to a path prefix, and routes match in one
// spelling only. The table test fails for a route added without a guard; the probe sends every
// guarded route, in every spelling an attacker tried, without its credential.

const METRICS_TOKEN = 'test-metrics-token-0123456789';
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';

let host: NeutralHost;
beforeAll(async () => {
  host = await startNeutralHost({ env: { METRICS_TOKEN } });
});
afterAll(async () => {
  await host.close();
});

interface Route {
  path: string;
  methods: string[];
  guard: GuardKind | undefined;
  sensitive: boolean;
}

function routeTable(): Route[] {
  const { routers } = composeApp(host.services);
  return routers.flatMap((router) =>
    router.stack
      .filter((layer) => layer.methods.length > 0)
      .map((layer) => ({
        path: String(layer.path),
        methods: layer.methods,
        guard: guardKindOf(layer.stack[0]),
        sensitive: router.opts.sensitive === true,
      })),
  );
}

/** A concrete path for a route pattern: ids for parameters, `acme` (the neutral test connector) for the connector. */
function concrete(pattern: string): string {
  return pattern
    .replace(/:connector/g, NEUTRAL_CONNECTOR)
    .replace(/\*\w+/g, 'api/queues')
    .replace(/:\w+/g, SAMPLE_ID);
}

/** Sends `path` byte for byte (fetch would normalise `..` and `.` segments away). */
function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<number | string> {
  const url = new URL(host.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function spellings(path: string): string[] {
  const segments = path.split('/');
  const last = segments.length - 1;
  const firstLetter = path.search(/[a-z]/);
  return [
    path,
    path.toUpperCase(),
    path.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c)),
    `${path.slice(0, firstLetter)}%${path.charCodeAt(firstLetter).toString(16)}${path.slice(firstLetter + 1)}`,
    path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    `/${path}`,
    path.replace(/\//g, '//'),
    `${path}/`,
    `/x/..${path}`,
    `${segments.slice(0, last).join('/')}/./${segments[last]}`,
    `${path};jsessionid=1`,
    `${path}?x=1`,
  ];
}

describe('the route table', () => {
  it('every route of every router declares one of the known guards, and every router is case-sensitive', () => {
    const routes = routeTable();
    expect(routes.length).toBeGreaterThan(30);
    const unguarded = routes.filter((r) => r.guard === undefined || !GUARD_KINDS.includes(r.guard));
    expect(unguarded.map((r) => `${r.methods.join(',')} ${r.path}`)).toEqual([]);
    expect(routes.filter((r) => !r.sensitive).map((r) => r.path)).toEqual([]);
  });

  it('the admin API is behind the admin token, the app API behind a bearer token, the linking flow behind the installation token', () => {
    const guardOf = (method: string, path: string) => routeTable().find((r) => r.path === path && r.methods.includes(method))?.guard;
    expect(guardOf('GET', '/api/installations')).toBe('admin-token');
    expect(guardOf('DELETE', '/api/installations/:id')).toBe('admin-token');
    expect(guardOf('POST', '/api/clients')).toBe('admin-token');
    expect(guardOf('GET', '/api/smartapps/endpoints')).toBe('bearer-scope');
    expect(guardOf('GET', '/connectors/:connector/oauth/initialize')).toBe('installation-token');
    expect(guardOf('GET', '/admin/queues')).toBe('operator-session');
    expect(guardOf('GET', '/metrics')).toBe('metrics-token');
    expect(guardOf('GET', '/healthz')).toBe('public');
  });
});

describe('no guarded route answers without its credential, whatever the spelling', () => {
  it('every spelling, every method, HEAD and OPTIONS => 401 or 404', async () => {
    const offenders: string[] = [];
    let probes = 0;
    for (const route of routeTable()) {
      if (route.guard === 'public') continue;
      // Methods outside these answer 405 on any path, routed or not (the routers know none of them).
      const methods = [...new Set([...route.methods, 'HEAD', 'OPTIONS'])].filter((m) => HTTP_METHODS.includes(m));
      for (const path of spellings(concrete(route.path))) {
        for (const method of methods) {
          probes++;
          const status = await raw(method, path, { 'content-type': 'application/json', 'content-length': '0' }).catch(
            (err: Error) => `${err.message}`,
          );
          if (status !== 401 && status !== 404) offenders.push(`${method} ${path} => ${status} (${route.guard})`);
        }
      }
    }
    expect(offenders).toEqual([]);
    expect(probes).toBeGreaterThan(500);
  });

  it('GET /API/installations (the reported bypass) => 404, while the right spelling with the token => 200', async () => {
    expect(await raw('GET', '/API/installations')).toBe(404);
    expect(await raw('GET', '/api/%69nstallations')).toBe(404);
    expect(await raw('GET', '/api/installations')).toBe(401);
    expect((await host.admin('/api/installations')).status).toBe(200);
  });

  it('DELETE /API/installations/:id without a token uninstalls nothing', async () => {
    const { id: installationId } = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    for (const path of spellings(`/api/installations/${installationId}`)) {
      expect([401, 404]).toContain(await raw('DELETE', path));
    }
    const still = await host.admin(`/api/installations/${installationId}`);
    expect(still.status).toBe(200);
    expect(await still.json()).toMatchObject({ id: installationId });
  });

  it('/metrics answers only the metrics token when one is configured', async () => {
    expect((await fetch(`${host.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${host.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(`${host.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/sm_http_request_duration_seconds/);
  });
});

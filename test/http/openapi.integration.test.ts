import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp } from '../../src/runtime/http/app';
import { openApiPath } from '../../src/runtime/http/openapi';
import { authorizeAndExchange, bearer, PASSWORD, startWorld, type World } from '../webservices/harness';
import { NEUTRAL_CONNECTOR } from '../helpers/neutral-host';

/**
 * The OpenAPI document against the running host: every /api route of the route table is described
 * (and nothing else is), and the real answers of every described operation validate against it.
 */
let w: World;
let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };
interface Operation {
  responses: Record<string, { content?: { 'application/json': { schema: object } } }>;
  parameters?: { name: string; in: string }[];
}
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
/** `METHOD /pattern` of each operation exercised, with the statuses seen. */
const exercised = new Map<string, Set<number>>();
const failures: string[] = [];

/** Calls `pattern` (filled with `params`) and validates the answer against the document. */
async function call(method: string, pattern: string, params: Record<string, string>, init: RequestInit & { as?: 'admin' | ((path: string, init: RequestInit) => Promise<Response>) } = {}): Promise<Response> {
  const path = pattern.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
  const { as = 'admin', ...rest } = init;
  const send = as === 'admin' ? (p: string, i: RequestInit) => w.host.admin(p, i) : as;
  const res = await send(path, { ...rest, method });
  const key = `${method} ${pattern.split('?')[0]}`;
  const op = doc.paths[openApiPath(pattern.split('?')[0] ?? '')]?.[method.toLowerCase()];
  if (!op) {
    failures.push(`${key}: not in the document`);
    return res;
  }
  (exercised.get(key) ?? exercised.set(key, new Set()).get(key))?.add(res.status);
  const described = op.responses[String(res.status)];
  if (!described) {
    failures.push(`${key} answered ${res.status}, which the document does not list (${await res.clone().text()})`);
    return res;
  }
  const schema = described.content?.['application/json'].schema;
  const text = await res.clone().text();
  if (!schema) {
    if (text !== '') failures.push(`${key} ${res.status}: a body the document does not describe`);
    return res;
  }
  const validate = ajv.compile(schema);
  if (!validate(JSON.parse(text))) failures.push(`${key} ${res.status}: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 300)}`);
  return res;
}

beforeAll(async () => {
  w = await startWorld({ workers: false });
  const res = await fetch(`${w.host.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});
afterAll(async () => {
  await w?.close();
});

describe('GET /api/openapi.json', () => {
  it('answers without credentials: OpenAPI 3.1, every schema compiles as JSON Schema 2020-12 (strict)', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, r] of Object.entries(op.responses)) {
          const schema = r.content?.['application/json'].schema;
          if (schema) expect(() => ajv.compile(schema), `${method} ${path} ${status}`).not.toThrow();
        }
      }
    }
  });

  it('describes every /api route of the route table, and nothing the table does not have', () => {
    const { routers } = composeApp(w.host.services);
    const table = new Set<string>();
    for (const router of routers) {
      for (const layer of router.stack) {
        const path = String(layer.path);
        if (!path.startsWith('/api/')) continue;
        for (const method of layer.methods) if (method !== 'HEAD') table.add(`${method.toLowerCase()} ${openApiPath(path)}`);
      }
    }
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)));
    expect([...table].filter((r) => !documented.has(r)).sort(), 'routes the document does not describe').toEqual([]);
    expect([...documented].filter((r) => !table.has(r)).sort(), 'operations no route serves').toEqual([]);
  });
});

describe('real answers validate against the document', () => {
  it('every documented operation, good and bad paths', async () => {
    const id = w.installationId;
    const deviceId = w.devices.get('dev-1') ?? '';
    const spare = w.devices.get('dev-3') ?? '';
    await call('GET', '/api/openapi.json', {}, { as: (p, i) => fetch(`${w.host.url}${p}`, i) });

    // Installations
    const created = await call('POST', '/api/installations', {}, { body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: 'oa-home' }) });
    const other = ((await created.json()) as { id: string }).id;
    await call('POST', '/api/installations', {}, { body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: 'oa-home' }) });
    await call('POST', '/api/installations', {}, { body: JSON.stringify({ connector: 'nope', locationId: 'x' }) });
    await call('POST', '/api/installations', {}, { body: JSON.stringify({ connector: '' }) });
    await call('GET', '/api/installations', {});
    await call('GET', '/api/installations?limit=1', {});
    await call('GET', '/api/installations?cursor=%2A%2A', {});
    await call('GET', '/api/installations/:id', { id });
    await call('GET', '/api/installations/:id', { id: 'nope' });

    // Devices
    await call('GET', '/api/installations/:id/discovered', { id });
    await call('GET', '/api/installations/:id/discovered', { id: other });
    await call('GET', '/api/installations/:id/settings', { id });
    await call('PUT', '/api/installations/:id/settings', { id }, { body: JSON.stringify({ devices: ['dev-1', 'dev-2', 'dev-3'] }) });
    await call('PUT', '/api/installations/:id/settings', { id }, { body: JSON.stringify({ devices: 'all' }) });
    await call('GET', '/api/installations/:id/devices', { id });
    await call('GET', '/api/installations/:id/devices/:deviceId', { id, deviceId });
    await call('GET', '/api/installations/:id/devices/:deviceId', { id, deviceId: 'nope' });
    await call('PATCH', '/api/installations/:id/devices/:deviceId', { id, deviceId }, { body: JSON.stringify({ label: 'Living room' }) });
    await call('PATCH', '/api/installations/:id/devices/:deviceId', { id, deviceId }, { body: JSON.stringify({ label: 'x'.repeat(101) }) });
    await call('POST', '/api/installations/:id/devices/:deviceId/commands', { id, deviceId }, { body: JSON.stringify({ command: 'setThermostatMode', arguments: ['cool'] }) });
    await call('POST', '/api/installations/:id/devices/:deviceId/commands', { id, deviceId: 'nope' }, { body: JSON.stringify({ command: 'setThermostatMode', arguments: ['cool'] }) });
    await call('POST', '/api/installations/:id/poll', { id });
    await call('GET', '/api/installations/:id/events', { id });
    await call('GET', '/api/events?limit=5', {});
    await call('GET', '/api/installations/:id/webhooks', { id });
    await call('GET', '/api/installations/:id/webhooks/failed', { id });
    await call('POST', '/api/installations/:id/webhooks/rotate', { id });

    // Event sinks
    const sink = await call('POST', '/api/event-sinks', {}, { body: JSON.stringify({ url: w.sys.hookUrl, types: ['device.stateChanged'] }) });
    const sinkId = ((await sink.json()) as { id: string }).id;
    await call('POST', '/api/event-sinks', {}, { body: JSON.stringify({ url: 'ftp://example.com/x' }) });
    await call('GET', '/api/event-sinks', {});
    await call('GET', '/api/event-sinks/:id', { id: sinkId });
    await call('GET', '/api/event-sinks/:id/dead-letters', { id: sinkId });
    await call('DELETE', '/api/event-sinks/:id', { id: sinkId });
    await call('GET', '/api/event-sinks/:id', { id: sinkId });

    // Users and clients
    const user = await call('POST', '/api/users', {}, { body: JSON.stringify({ username: 'oa-user', password: PASSWORD, locations: [] }) });
    const userId = ((await user.json()) as { id: string }).id;
    await call('POST', '/api/users', {}, { body: JSON.stringify({ username: 'oa-user', password: PASSWORD, locations: [] }) });
    await call('GET', '/api/users?limit=1', {});
    await call('GET', '/api/users/:id', { id: userId });
    await call('DELETE', '/api/users/:id', { id: userId });
    await call('DELETE', '/api/users/:id', { id: userId });
    const pub = await call('POST', '/api/clients', {}, { body: JSON.stringify({ name: 'Phone app', redirectUris: [w.sys.callbackUri], scopes: ['app'], tokenEndpointAuthMethod: 'none' }) });
    const pubId = ((await pub.json()) as { clientId: string }).clientId;
    await call('GET', '/api/clients', {});
    await call('GET', '/api/clients/:id', { id: pubId });
    await call('DELETE', '/api/clients/:id', { id: pubId });
    await call('GET', '/api/clients/:id', { id: pubId });

    // The Web Services API, as an external system
    const { tokens } = await authorizeAndExchange(w, [deviceId]);
    const app = bearer(w, tokens.access_token);
    const endpoints = await call('GET', '/api/smartapps/endpoints', {}, { as: app });
    const appId = ((await endpoints.json()) as { url: string }[])[0]?.url.split('/').at(-1) ?? '';
    await call('GET', '/api/smartapps/installations/:appId/devices', { appId }, { as: app });
    await call('GET', '/api/smartapps/installations/:appId/devices/:deviceId', { appId, deviceId }, { as: app });
    await call('GET', '/api/smartapps/installations/:appId/devices/:deviceId', { appId, deviceId: spare }, { as: app });
    await call('POST', '/api/smartapps/installations/:appId/devices/:deviceId/commands', { appId, deviceId }, { as: app, body: JSON.stringify({ command: 'setThermostatMode', arguments: ['cool'] }) });
    const sub = await call('POST', '/api/smartapps/installations/:appId/subscriptions', { appId }, { as: app, body: JSON.stringify({ targetUrl: w.sys.hookUrl, events: ['device.stateChanged'] }) });
    const subId = ((await sub.json()) as { id: string }).id;
    await call('GET', '/api/smartapps/installations/:appId/subscriptions', { appId }, { as: app });
    const confirmToken = w.host.services.webServices.subscriptions.confirmationToken(subId);
    const anon = (p: string, i: RequestInit) => fetch(`${w.host.url}${p}`, i);
    await call('GET', `/api/smartapps/subscriptions/:subscriptionId/confirm?token=${confirmToken}`, { subscriptionId: subId }, { as: anon });
    await call('GET', '/api/smartapps/subscriptions/:subscriptionId/confirm?token=wrong', { subscriptionId: subId }, { as: anon });
    await call('GET', '/api/smartapps/installations/:appId/subscriptions/:subscriptionId', { appId, subscriptionId: subId }, { as: app });
    await call('GET', '/api/subscriptions', {});
    await call('GET', '/api/subscriptions/:id', { id: subId });
    await call('DELETE', '/api/subscriptions/:id', { id: subId });
    await call('DELETE', '/api/smartapps/installations/:appId/subscriptions/:subscriptionId', { appId, subscriptionId: subId }, { as: app });
    const sub2 = await call('POST', '/api/smartapps/installations/:appId/subscriptions', { appId }, { as: app, body: JSON.stringify({ targetUrl: w.sys.hookUrl, events: ['device.added'] }) });
    const sub2Id = ((await sub2.json()) as { id: string }).id;
    await call('DELETE', '/api/smartapps/installations/:appId/subscriptions/:subscriptionId', { appId, subscriptionId: sub2Id }, { as: app });
    await call('GET', '/api/smartapps/installations/:appId/subscriptions/:subscriptionId', { appId, subscriptionId: subId }, { as: app });
    await call('DELETE', '/api/app-installations/:id', { id: appId });
    await call('DELETE', '/api/app-installations/:id', { id: appId });
    await call('GET', '/api/smartapps/endpoints', {}, { as: app });

    // Last, the deletes of what the rest used
    await call('DELETE', '/api/installations/:id/devices/:deviceId', { id, deviceId: spare });
    await call('DELETE', '/api/installations/:id/devices/:deviceId', { id, deviceId: spare });
    await call('DELETE', '/api/installations/:id', { id: other });
    await call('DELETE', '/api/installations/:id', { id: other });

    expect(failures).toEqual([]);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const seen = new Set([...exercised.keys()].map((k) => k.replace(/:([A-Za-z0-9_]+)/g, '{$1}')));
    expect(documented.filter((op) => !seen.has(op)), 'documented operations this test never called').toEqual([]);
    // Each answered a success at least once (not only its error paths).
    const neverOk = [...exercised].filter(([, statuses]) => ![...statuses].some((s) => s < 300)).map(([k, s]) => `${k} ${[...s].join(',')}`);
    expect(neverOk.filter((k) => !k.startsWith('POST /api/installations/:id/webhooks/rotate'))).toEqual([]);
  });
});

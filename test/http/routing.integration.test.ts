import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/host';
import { startNeutralHost } from '../helpers/neutral-host';

// The webhook route is matched before the router chain and other routers are skipped where none of
// their layers matches: what a caller sees, and what the latency histogram records, must not change.

let host: Awaited<ReturnType<typeof startNeutralHost>>;
beforeAll(async () => {
  host = await startNeutralHost();
});
afterAll(async () => {
  await host.close();
});

const ID = '00000000-0000-4000-8000-000000000000';
const send = (method: string, path: string, body?: string) =>
  fetch(host.url + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(body === undefined ? {} : { body }),
  });

it.each([
  ['GET', `/connectors/acme/webhooks/${ID}?access_token=x`, 405, 'method_not_allowed'],
  // Without its credential a route tells nothing, not even which methods it has.
  ['GET', `/connectors/acme/webhooks/${ID}`, 401, 'unauthorized'],
  ['POST', `/connectors/acme/webhooks/${ID}?access_token=x`, 404, 'not_found'],
  // Same case and trailing-slash rules as the router's own matching.
  ['POST', `/CONNECTORS/acme/Webhooks/${ID}/?access_token=x`, 404, 'not_found'],
  ['POST', '/healthz', 405, 'method_not_allowed'],
  ['DELETE', '/healthz', 405, 'method_not_allowed'],
  ['PROPFIND', '/nowhere', 405, 'method_not_allowed'],
  ['GET', '/nowhere', 404, 'not_found'],
  ['PUT', '/api/installations', 405, 'method_not_allowed'],
])('%s %s => %i %s as JSON, with a request id', async (method, path, status, error) => {
  const res = await send(method, path, method === 'POST' ? '{}' : undefined);
  expect(res.status).toBe(status);
  expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(await res.json()).toMatchObject({ error });
});

it.each([
  [`/connectors/acme/webhooks/${ID}?access_token=x`, ['POST']],
  ['/healthz', ['GET', 'HEAD']],
  ['/api/installations', ['GET', 'HEAD', 'POST']],
])('OPTIONS %s => 200 with the allowed methods', async (path, methods) => {
  const res = await send('OPTIONS', path);
  expect(res.status).toBe(200);
  expect((res.headers.get('allow') ?? '').split(', ').sort()).toEqual(methods);
});

it('GET /HEALTHZ => 404: routes match in one spelling only', async () => {
  expect((await send('GET', '/HEALTHZ')).status).toBe(404);
});

it('GET /healthz/ => the health route; the histogram is labelled by route pattern, unmatched otherwise', async () => {
  expect((await send('GET', '/healthz/')).status).toBe(200);
  const text = await (await fetch(`${host.url}/metrics`)).text();
  expect(text).toMatch(/sm_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} [1-9]/);
  expect(text).toMatch(/sm_http_request_duration_seconds_count\{method="POST",route="\/connectors\/:connector\/webhooks\/:installationId",status="404"\} [1-9]/);
  expect(text).toMatch(/sm_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/);
  expect(text).toMatch(/sm_webhook_requests_total\{connector="unknown",outcome="not_found"\} [1-9]/);
});

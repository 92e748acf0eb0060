import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, operatorLogin } from '../helpers/host';
import { link } from '../helpers/link';
import { authorizeUrl, startWorld, type World } from '../webservices/harness';
import { NEUTRAL_CONNECTOR } from '../helpers/neutral-host';

// Issue 14.9: every HTML page, ours and the fake clouds', is sent with a policy that runs no
// inline script and cannot be framed; every JSON answer with nosniff.

let w: World;
let installation: { id: string; accessToken: string };
beforeAll(async () => {
  w = await startWorld({ workers: false });
  const res = await w.host.admin('/api/installations', { method: 'POST', body: JSON.stringify({ connector: NEUTRAL_CONNECTOR, locationId: 'headers-home' }) });
  installation = (await res.json()) as { id: string; accessToken: string };
});
afterAll(async () => {
  await w.close();
});

function directives(csp: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (csp ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), values);
  }
  return out;
}

function expectPageHeaders(res: Response, what: string): void {
  expect(res.headers.get('content-type'), what).toMatch(/^text\/html/);
  const csp = directives(res.headers.get('content-security-policy'));
  expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
  // Scripts: none at all, or our own files; never inline, never eval.
  const scripts = csp.get('script-src') ?? csp.get('default-src') ?? [];
  expect(scripts.length, what).toBeGreaterThan(0);
  for (const source of scripts) expect(["'none'", "'self'"], `${what}: script source ${source}`).toContain(source);
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), what).toBe('no-referrer');
}

it('the setup page, the device selection page and the linking error page', async () => {
  const setup = `${w.host.url}/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${installation.id}&access_token=${encodeURIComponent(installation.accessToken)}`;
  expectPageHeaders(await fetch(setup), 'setup page');
  const linked = await link(w.host, undefined, NEUTRAL_CONNECTOR);
  const selection = await fetch(`${w.host.url}/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${linked.id}&access_token=${encodeURIComponent(linked.accessToken)}`);
  expect(await selection.text()).toMatch(/name="devices"/);
  expectPageHeaders(selection, 'device selection page');
  const badState = await fetch(`${w.host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/callback?code=x&state=not-a-state`);
  expect(badState.status).toBe(400);
  expectPageHeaders(badState, 'linking error page');
  const noToken = await fetch(`${w.host.url}/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${installation.id}&access_token=wrong`, { headers: { accept: 'text/html' } });
  expect(noToken.status).toBe(401);
  expectPageHeaders(noToken, 'setup page, wrong token');
});

it("the fake cloud's sign-in page", async () => {
  const init = await fetch(
    `${w.host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/initialize?appId=${installation.id}&access_token=${encodeURIComponent(installation.accessToken)}`,
    { redirect: 'manual' },
  );
  expect(init.status).toBe(302);
  expectPageHeaders(await fetch(init.headers.get('location') ?? ''), 'fake cloud sign-in page');
});

it('the Web Services sign-in page and its error page', async () => {
  expectPageHeaders(await fetch(authorizeUrl(w)), 'sign-in page');
  const unknownClient = await fetch(authorizeUrl(w, { client_id: 'nope' }), { headers: { accept: 'text/html' } });
  expect(unknownClient.status).toBe(400);
  expectPageHeaders(unknownClient, 'authorize error page');
});

it('the operator login page and the queue dashboard', async () => {
  expectPageHeaders(await fetch(`${w.host.url}/admin/login`), 'operator login');
  const login = await operatorLogin(w.host.url, ADMIN_TOKEN);
  expect(login.status).toBe(303);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const board = await fetch(`${w.host.url}/admin/queues`, { headers: { cookie, accept: 'text/html' } });
  expect(board.status).toBe(200);
  expectPageHeaders(board, 'queue dashboard');
});

it('JSON answers: nosniff, on success and on error', async () => {
  // A callback takes the fast path ahead of the headers middleware: it sets nosniff itself.
  const callback = await fetch(`${w.host.url}/connectors/${NEUTRAL_CONNECTOR}/webhooks/00000000-0000-4000-8000-000000000000?access_token=x`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(callback.status).toBeGreaterThanOrEqual(400);
  for (const res of [callback, await fetch(`${w.host.url}/healthz`), await fetch(`${w.host.url}/api/installations`), await fetch(`${w.host.url}/nowhere`)]) {
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  }
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieBrowser } from '../helpers/browser';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { createInstallation, link } from '../helpers/link';

// Item 17.7: an error page says what happened to the link, truthfully, and leads back.

let host: NeutralHost;
beforeAll(async () => {
  host = await startNeutralHost();
});
afterAll(async () => {
  await host.close();
});

async function callbackFor(browser: CookieBrowser, inst: { id: string; accessToken: string }, decision: 'accept' | 'decline'): Promise<string> {
  const init = await browser.get(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`);
  expect(init.status).toBe(302);
  return host.fake.approve(init.headers.get('location') ?? '', decision);
}

describe('linking error pages', () => {
  it('declined at the provider while already linked => "Nothing was changed", Connected, a way back to setup', async () => {
    const inst = await link(host, undefined, NEUTRAL_CONNECTOR);
    const res = await inst.browser.get(await callbackFor(inst.browser, inst, 'decline'));
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('<h1>Nothing was changed</h1>');
    expect(page).toContain('Access was denied at the provider.');
    expect(page).toContain('Your account is still connected');
    expect(page).not.toContain('Not connected');
    expect(page).toContain(`/connectors/${NEUTRAL_CONNECTOR}/setup?appId=${inst.id}`);
    expect((await host.services.installations.get(inst.id))?.status).toBe('linked');
  });

  it('declined for a new installation => Not connected, with the way back to setup', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const browser = new CookieBrowser();
    const res = await browser.get(await callbackFor(browser, inst, 'decline'));
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('Your account could not be connected');
    expect(page).toContain('<span class="status pending">Not connected</span>');
    expect(page).toContain('Back to the setup page');
  });

  it('a state nobody issued => no claim about any link either way', async () => {
    const browser = new CookieBrowser();
    const res = await browser.get(`${host.url}/connectors/${NEUTRAL_CONNECTOR}/oauth/callback?code=x&state=11111111-1111-4111-8111-111111111111`);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('This sign-in could not be completed');
    expect(page).not.toContain('Not connected');
    expect(page).not.toContain('class="status');
  });

  it('pages outside linking name their error plainly, with a link to the start page', async () => {
    const res = await fetch(`${host.url}/no-such-page`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    const page = await res.text();
    expect(page).toContain('<h1>Something went wrong</h1>');
    expect(page).toContain('href="/"');
  });
});

describe('GET /', () => {
  it('200 landing page: what this is, the connectors, operator pages and the health endpoints', async () => {
    const res = await fetch(`${host.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const page = await res.text();
    expect(page).toContain('<h1>Service Manager</h1>');
    expect(page).toContain('Acme');
    for (const href of ['/admin/installations', '/admin/queues', '/healthz', '/readyz', '/metrics']) expect(page).toContain(`href="${href}"`);
  });
});

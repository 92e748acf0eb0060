import { expect } from 'vitest';
import { CookieBrowser } from './browser';
import type { HostCore } from './host';

/** A host whose fake cloud can play the user at its sign-in page. */
export type LinkableHost = HostCore & { fake: { approve(url: string, decision?: 'accept' | 'decline'): Promise<string> } };

export interface LinkedInstallation {
  id: string;
  accessToken: string;
  setupUrl: string;
  browser: CookieBrowser;
}

export async function createInstallation(
  host: HostCore,
  locationId = `home-${Math.random().toString(36).slice(2)}`,
  connector = 'ecobee',
) {
  const res = await host.admin('/api/installations', {
    method: 'POST',
    body: JSON.stringify({ connector, locationId }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; accessToken: string; setupUrl: string };
}

/** Runs the whole browser linking flow for an installation (new one unless given). */
export async function link(
  host: LinkableHost,
  existing?: { id: string; accessToken: string; setupUrl: string },
  connector = 'ecobee',
): Promise<LinkedInstallation> {
  const inst = existing ?? (await createInstallation(host, undefined, connector));
  const browser = new CookieBrowser();
  const init = await browser.get(
    `${host.url}/connectors/${connector}/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`,
  );
  expect(init.status).toBe(302);
  const callback = await host.fake.approve(init.headers.get('location') ?? '', 'accept');
  const done = await browser.get(callback);
  expect(done.status).toBe(200);
  return { ...inst, browser };
}

/** Waits on a condition without fixed sleeps: re-checks until it holds or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

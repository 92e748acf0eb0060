import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeEcobee } from '../../connectors/ecobee/fake/server';
import { FakeHoneywell } from '../../connectors/honeywell/fake/server';
import { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import type { CreatedInstallation } from '../../src/operator/create-installation';
import { createDemoInstallations } from '../../src/runtime/demo';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { ADMIN_TOKEN, startHostCore, type HostCore } from '../helpers/host';
import { eventually } from '../helpers/link';
import { CHROMIUM_PATH, HAVE_CHROMIUM, Screenshots, horizontalOverflow, launchChromium } from './browser';

if (!HAVE_CHROMIUM) {
  console.warn(
    `[e2e] SKIPPED: no Chromium at ${CHROMIUM_PATH}. Install the OS package (apt-get install chromium) ` +
      'or set CHROMIUM_PATH; .ci/run installs it.',
  );
}

/** Readable, uncluttered pages: nothing wider than the window, at a desktop's width or a phone's. */
async function expectCleanLayout(page: Page): Promise<void> {
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
}

describe('demo in a real browser', () => {
  let browser: Browser;
  let host: HostCore;
  let ecobee: FakeEcobee;
  let netatmo: FakeNetatmo;
  let honeywell: FakeHoneywell;
  let workers: RunningWorkers;
  const installs = new Map<string, CreatedInstallation>();

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return;
    browser = await launchChromium();
    // Demo wiring, as `npm start` runs it: both fake clouds, host and workers in one process, and
    // one demo installation per connector whose setup link is what the user opens.
    ecobee = await FakeEcobee.start();
    netatmo = await FakeNetatmo.start();
    honeywell = await FakeHoneywell.start();
    host = await startHostCore({ fakes: { ecobee, netatmo, honeywell } });
    workers = startWorkers(host.services, { concurrency: 2 });
    for (const install of await createDemoInstallations(host.services)) installs.set(install.connector, install);
  });
  afterAll(async () => {
    await browser?.close();
    await workers?.close();
    await host?.close();
    await ecobee?.stop();
    await netatmo?.stop();
    await honeywell?.stop();
  });

  /** setup page → Connect → the fake's sign-in → Accept → success → choose devices → saved and listed. */
  async function clickThrough(connector: string, title: string, fakeUrl: string): Promise<Screenshots> {
    const install = installs.get(connector);
    if (!install) throw new Error(`no demo installation for ${connector}`);
    const shots = new Screenshots(connector);
    const context = await browser.newContext({ viewport: { width: 1024, height: 720 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    // 1. The setup link the demo prints.
    await page.goto(install.setupUrl);
    await expect.poll(() => page.locator('h1').textContent()).toBe(`Connect to ${title}`);
    await expectCleanLayout(page);
    await shots.take(page, 'setup');

    // 2. Connect → the fake cloud's sign-in page.
    await page.getByRole('link', { name: `Connect to ${title}` }).click();
    await page.waitForURL((url) => url.origin === fakeUrl);
    await page.getByLabel('Email').fill('demo@example.com');
    await page.getByLabel('Password').fill('demo');
    await expectCleanLayout(page);
    await shots.take(page, 'provider-sign-in');

    // 3. Accept → back at the host's callback: the success page.
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL((url) => url.origin === host.url && url.pathname === `/connectors/${connector}/oauth/callback`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your account is now connected');
    await expectCleanLayout(page);
    await shots.take(page, 'connected');

    // 4. Choose devices: what the cloud lists, none selected yet.
    await page.getByRole('link', { name: 'Choose devices' }).click();
    await page.waitForURL((url) => url.pathname === `/connectors/${connector}/setup`);
    const boxes = page.getByRole('checkbox');
    await expect.poll(() => boxes.count()).toBeGreaterThanOrEqual(3);
    const all = await boxes.all();
    for (const box of all) expect(await box.isChecked()).toBe(false);
    const items = page.locator('ul.devices li');
    const names = (await items.locator('strong').allTextContents()).slice(0, 2);
    await all[0]?.check();
    await all[1]?.check();
    await expectCleanLayout(page);
    await shots.take(page, 'choose-devices');

    // 5. Done → saved, and on to the devices now kept in sync, each with its current reading.
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL((url) => url.pathname === `/connectors/${connector}/devices` && url.searchParams.get('saved') === '1');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your choice was saved.');
    const synced = await page.locator('ul.list li').allTextContents();
    expect(synced).toHaveLength(2);
    for (const text of synced) expect(text).toMatch(/\d °[CF]/);
    await expectCleanLayout(page);
    await shots.take(page, 'devices');

    // What the page shows is what the platform holds.
    const devices = await eventually(async () => {
      const res = await host.admin(`/api/installations/${install.id}/devices`);
      const list = ((await res.json()) as { items: Array<{ name: string }> }).items;
      return list.length === 2 ? list : undefined;
    }, 'two child devices');
    expect(devices.map((d) => d.name).sort()).toEqual([...names].sort());

    // The same page at a phone's width stays readable.
    await page.setViewportSize({ width: 375, height: 720 });
    await expectCleanLayout(page);
    await shots.take(page, 'devices-phone');

    expect(pageErrors).toEqual([]);
    await context.close();
    return shots;
  }

  it.skipIf(!HAVE_CHROMIUM)('ecobee: setup → Connect → fake sign-in → success → device selection → devices visible', async () => {
    const shots = await clickThrough('ecobee', 'ecobee', ecobee.url);
    expect(shots.saved).toHaveLength(6);
  });

  it.skipIf(!HAVE_CHROMIUM)('Netatmo: setup → Connect → fake sign-in → success → device selection → devices visible', async () => {
    const shots = await clickThrough('netatmo', 'Netatmo Energy', netatmo.url);
    expect(shots.saved).toHaveLength(6);
  });

  it.skipIf(!HAVE_CHROMIUM)('Honeywell Home: setup → Connect → fake sign-in → success → device selection → devices visible', async () => {
    const shots = await clickThrough('honeywell', 'Honeywell Home', honeywell.url);
    expect(shots.saved).toHaveLength(6);
  });

  it.skipIf(!HAVE_CHROMIUM)('operator: queue dashboard → login form → dashboard listing the queues', async () => {
    const shots = new Screenshots('operator');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // Fonts come from a CDN the test machine may not reach; the page must not wait for them.
    await page.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());

    await page.goto(`${host.url}/admin/queues`);
    await page.waitForURL((url) => url.pathname === '/admin/login');
    await page.getByLabel('Admin token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That is not the admin token.');
    await expectCleanLayout(page);
    await shots.take(page, 'login-refused');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in, the operator starts at the installations; the dashboard is one link away.
    await page.waitForURL((url) => url.pathname === '/admin/installations');
    await page.getByRole('link', { name: 'Queue dashboard' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/admin/queues'));
    // One poll and one webhook queue per partition (`poll p3`), and the single queues from before them.
    await expect.poll(() => page.getByText(/^poll p\d+$/).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByText(/^webhook p\d+$/).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText('poll (single)', { exact: true }).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText(/^Loading/).count(), { timeout: 10_000 }).toBe(0);
    await shots.take(page, 'queues');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'sm_admin');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(session?.value).not.toContain(ADMIN_TOKEN);
    await context.close();
  });
});

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeEcobee } from '../../connectors/ecobee/fake/server';
import { createInstallation } from '../../src/operator/create-installation';
import type { CreatedInstallation } from '../../src/operator/create-installation';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { ADMIN_TOKEN, startHostCore, type HostCore } from '../helpers/host';
import { eventually } from '../helpers/link';
import { CHROMIUM_PATH, HAVE_CHROMIUM, Screenshots, horizontalOverflow, launchChromium } from './browser';

// Issue 17 item 7, clicked through in real Chromium: the landing page, the end user's device and
// apps pages, the operator's installation pages, and a truthful error page. Every page is
// screenshotted (test-artifacts/e2e/pages-*, gitignored) and checked for layout overflow.

if (!HAVE_CHROMIUM) console.warn(`[e2e] SKIPPED: no Chromium at ${CHROMIUM_PATH}.`);

async function clean(page: Page): Promise<void> {
  expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
}

/** The outline the focused element shows: keyboard focus must be visible. */
async function focusOutline(page: Page): Promise<string> {
  return String(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'));
}

describe('the pages in a real browser', () => {
  let browser: Browser;
  let host: HostCore;
  let ecobee: FakeEcobee;
  let workers: RunningWorkers;
  let install: CreatedInstallation;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return;
    browser = await launchChromium();
    ecobee = await FakeEcobee.start();
    host = await startHostCore({ fakes: { ecobee } });
    workers = startWorkers(host.services, { concurrency: 2 });
    install = await createInstallation(host.services, { connector: 'ecobee', locationId: 'e2e-home' });
    context = await browser.newContext({ viewport: { width: 1024, height: 720 } });
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    // Fonts of the queue dashboard come from a CDN the test machine may not reach.
    await page.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await workers?.close();
    await host?.close();
    await ecobee?.stop();
  });

  it.skipIf(!HAVE_CHROMIUM)('landing page: GET / says what this is and links to the pages and health endpoints', async () => {
    const shots = new Screenshots('pages-landing');
    const res = await page.goto(`${host.url}/`);
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Service Manager');
    for (const name of ['Installations', 'Queue dashboard', '/healthz', '/readyz']) expect(await page.getByRole('link', { name }).count()).toBe(1);
    await clean(page);
    await shots.take(page, 'landing');
    await page.getByRole('link', { name: '/healthz' }).click();
    await expect.poll(() => page.textContent('body')).toContain('"status":"ok"');
  });

  it.skipIf(!HAVE_CHROMIUM)('end user: link, choose devices, Done → devices → one device: state, rename, commands, apps, revoke', async () => {
    const shots = new Screenshots('pages-end-user');
    await page.goto(install.setupUrl);
    await page.getByRole('link', { name: 'Connect to ecobee' }).click();
    await page.waitForURL((url) => url.origin === ecobee.url);
    await page.getByLabel('Email').fill('demo@example.com');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('link', { name: 'Choose devices' }).click();
    const boxes = await page.getByRole('checkbox').all();
    await boxes[0]?.check();
    await boxes[1]?.check();
    await page.getByRole('button', { name: 'Done' }).click();

    // Done leads to the synced devices.
    await page.waitForURL((url) => url.pathname === '/connectors/ecobee/devices');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your choice was saved.');
    await clean(page);
    await shots.take(page, 'devices');

    // One device: its state, when it was updated, rename and the commands.
    await page.locator('ul.list li a').first().click();
    await page.waitForURL((url) => /^\/connectors\/ecobee\/devices\/[\w-]+$/.test(url.pathname));
    const state = page.locator('dl.state');
    for (const label of ['Temperature', 'Humidity', 'Heating setpoint', 'Cooling setpoint', 'Mode']) {
      expect(await state.getByText(label, { exact: true }).count()).toBe(1);
    }
    expect(await page.locator('time').textContent()).toMatch(/UTC$/);
    await clean(page);
    await shots.take(page, 'device');

    // Keyboard: the first control is reachable with Tab and visibly focused.
    await page.keyboard.press('Tab');
    expect(await focusOutline(page)).not.toBe('none');

    // Rename.
    await page.getByLabel('Your name for this device').fill('Upstairs hall');
    await page.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Upstairs hall');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('The new name was saved.');
    await shots.take(page, 'renamed');

    // A command with a value out of range is refused on the page, with the reason.
    const heat = page.getByRole('spinbutton', { name: 'Heating setpoint' });
    // Past the browser's own range check, as a hand-made request would be.
    await page.evaluate(`document.querySelectorAll('input[type=number]').forEach((el) => el.removeAttribute('max'))`);
    await heat.fill('99');
    await page.getByRole('button', { name: 'Set heating setpoint' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid arguments for setHeatingSetpoint');
    await shots.take(page, 'command-refused');

    // A good one runs at the cloud; after the workers' poll the page shows the new setpoint.
    await page.getByRole('spinbutton', { name: 'Heating setpoint' }).fill('66');
    await page.getByRole('button', { name: 'Set heating setpoint' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Sent to the device.');
    const deviceUrl = page.url();
    await eventually(async () => {
      await page.goto(deviceUrl);
      return (await state.textContent())?.includes('66 °F');
    }, 'the new setpoint on the page');
    await page.getByLabel('Thermostat mode').selectOption('cool');
    await page.getByRole('button', { name: 'Set thermostat mode' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Sent to the device.');
    await clean(page);
    await shots.take(page, 'command-sent');

    // Phone width stays readable.
    await page.setViewportSize({ width: 375, height: 720 });
    await clean(page);
    await shots.take(page, 'device-phone');
    await page.setViewportSize({ width: 1024, height: 720 });

    // The apps with access: one external app granted this device; Revoke removes it.
    const ws = host.services.webServices;
    const devices = await host.services.devices.list(install.id);
    const { client } = await ws.clients.create(
      { name: 'Energy Dashboard', redirectUris: ['https://app.example/cb'], scopes: ['r:devices:*'], grantTypes: ['authorization_code'], tokenEndpointAuthMethod: 'client_secret_basic' },
      new Date(),
    );
    const app = await ws.apps.create(
      { clientId: client.clientId, userId: 'user-1', location: { id: 'e2e-home', name: 'Home' }, scopes: ['r:devices:*'], devices: [{ installationId: install.id, deviceId: devices[0]?.id ?? '' }] },
      new Date(),
    );
    await page.getByRole('link', { name: 'Apps with access to your devices' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Energy Dashboard' }).count()).toBe(1);
    await clean(page);
    await shots.take(page, 'apps');
    await page.getByRole('button', { name: 'Revoke Energy Dashboard' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('The app’s access was revoked.');
    expect(await ws.apps.get(app.id)).toBeUndefined();
    await shots.take(page, 'app-revoked');

    // Done, from a device page, goes back to the devices.
    await page.goto(deviceUrl);
    await page.getByRole('link', { name: 'Done' }).click();
    await page.waitForURL((url) => url.pathname === '/connectors/ecobee/devices');
    expect(errors).toEqual([]);
  });

  it.skipIf(!HAVE_CHROMIUM)('operator: sign in → installations (filter, search) → one installation → poll, uninstall', async () => {
    const shots = new Screenshots('pages-operator');
    const spare = await createInstallation(host.services, { connector: 'ecobee', locationId: 'e2e-spare' });
    await page.goto(`${host.url}/admin/installations`);
    await page.waitForURL((url) => url.pathname === '/admin/login');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/installations');
    expect(await page.locator('tbody tr').count()).toBe(2);
    await clean(page);
    await shots.take(page, 'installations');

    await page.getByLabel('Health').selectOption('linked');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((url) => url.searchParams.get('health') === 'linked');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await shots.take(page, 'filtered');
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByLabel('Search').fill('spare');
    await page.getByLabel('Search').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === 'spare');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByRole('link', { name: 'Clear' }).click();

    await page.getByRole('link', { name: install.id }).click();
    await page.waitForURL((url) => url.pathname === `/admin/installations/${install.id}`);
    await expect.poll(() => page.locator('#devices').textContent()).toBe('Devices (2)');
    expect(await page.getByText('installation.linked', { exact: true }).count()).toBe(1);
    await clean(page);
    await shots.take(page, 'installation');
    await page.getByRole('button', { name: 'Poll now' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('A poll was queued.');
    await shots.take(page, 'polled');

    await page.goto(`${host.url}/admin/installations/${spare.id}`);
    await page.getByLabel('Remove this installation, its devices and its cloud tokens for good').check();
    await page.getByRole('button', { name: 'Uninstall' }).click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'uninstalled');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await shots.take(page, 'uninstalled');

    await page.getByRole('link', { name: 'Queue dashboard' }).first().click();
    await page.waitForURL((url) => url.pathname.startsWith('/admin/queues'));
    expect(errors).toEqual([]);
  });

  it.skipIf(!HAVE_CHROMIUM)('error page: a replayed callback on a linked installation says nothing changed, and leads home from an unknown page', async () => {
    const shots = new Screenshots('pages-errors');
    await page.goto(`${install.setupUrl.replace('/setup?', '/oauth/initialize?')}`);
    await page.waitForURL((url) => url.origin === ecobee.url);
    await page.getByLabel('Email').fill('demo@example.com');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL((url) => url.pathname === '/connectors/ecobee/oauth/callback');
    const callback = page.url();
    const replay = await page.goto(callback);
    expect(replay?.status()).toBe(400);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Nothing was changed');
    expect(await page.getByText('Not connected').count()).toBe(0);
    await clean(page);
    await shots.take(page, 'replayed-callback');
    await page.getByRole('link', { name: 'Back to the setup page' }).click();
    await page.waitForURL((url) => url.pathname === '/connectors/ecobee/setup');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your ecobee account');

    const missing = await page.goto(`${host.url}/no-such-page`);
    expect(missing?.status()).toBe(404);
    await page.getByRole('link', { name: 'Go to the start page' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await shots.take(page, 'back-home');
  });
});

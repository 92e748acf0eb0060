import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CookieBrowser } from '../helpers/browser';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { createInstallation } from '../helpers/link';
import { MAX_OUTSTANDING_STATES } from '../../src/linking/state-store';
import { keyNames } from '../helpers/key-names';

/**
 * Issue 14 item 4 (linking half): whoever holds an installation's token could otherwise store one
 * sealed state per GET /oauth/initialize for ten minutes each. Outstanding states are capped per
 * installation; issuing one more drops the oldest.
 */
const CAP = 5; // MAX_OUTSTANDING_STATES in src/linking/state-store.ts: the README documents this number
const EXTRA = 7;

let host: NeutralHost;
beforeEach(async () => {
  host = await startNeutralHost();
});
afterEach(async () => {
  await host.close();
});

async function stateKeys(): Promise<string[]> {
  return host.inspect.keys(`${host.config.keyPrefix}:oauth-state:*`);
}

/** Entries in the installation's index of outstanding states. */
async function indexed(id: string): Promise<number> {
  return host.inspect.llen(keyNames(host.services.keys).oauthStates(id));
}

async function issue(browser: CookieBrowser, inst: { id: string; accessToken: string }): Promise<string> {
  const res = await browser.get(
    `${host.url}/connectors/acme/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`,
  );
  expect(res.status).toBe(302);
  return res.headers.get('location') ?? '';
}

describe('outstanding linking states per installation', () => {
  it(`initialize ${CAP + EXTRA} times => only the newest ${CAP} states stored and still valid`, async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const browser = new CookieBrowser();
    const authorizeUrls: string[] = [];
    for (let i = 0; i < CAP + EXTRA; i++) authorizeUrls.push(await issue(browser, inst));

    expect(await stateKeys()).toHaveLength(CAP);
    expect(await indexed(inst.id)).toBe(CAP);

    // The dropped ones (oldest first) are refused at the callback like an unknown state...
    for (const url of authorizeUrls.slice(0, EXTRA)) {
      const callback = await host.fake.approve(url, 'accept');
      const res = await browser.get(callback);
      expect(res.status).toBe(400);
    }
    expect(await host.services.tokens.get(inst.id)).toBeUndefined();
    // ...and each of the newest still completes linking.
    for (const url of authorizeUrls.slice(EXTRA)) {
      const callback = await host.fake.approve(url, 'accept');
      const res = await browser.get(callback);
      expect(res.status).toBe(200);
    }
    expect(await stateKeys()).toEqual([]);
    expect(await host.inspect.exists(keyNames(host.services.keys).oauthStates(inst.id))).toBe(0);
  });

  it('the cap is the documented one', () => {
    expect(MAX_OUTSTANDING_STATES).toBe(CAP);
  });

  it('30 parallel initializes => still no more than the cap stored', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const browser = new CookieBrowser();
    await Promise.all(Array.from({ length: 30 }, () => issue(browser, inst)));
    expect(await stateKeys()).toHaveLength(CAP);
    expect(await indexed(inst.id)).toBe(CAP);
  });

  it('the cap is per installation: a flood on one leaves the states of another intact', async () => {
    const flooded = await createInstallation(host, 'home-a', NEUTRAL_CONNECTOR);
    const quiet = await createInstallation(host, 'home-b', NEUTRAL_CONNECTOR);
    const browser = new CookieBrowser();
    const kept = await issue(browser, quiet);
    for (let i = 0; i < CAP + EXTRA; i++) await issue(browser, flooded);
    expect(await stateKeys()).toHaveLength(CAP + 1);
    const res = await browser.get(await host.fake.approve(kept, 'accept'));
    expect(res.status).toBe(200);
  });

  it('uninstall with flows outstanding => no state and no key naming the installation is left', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const browser = new CookieBrowser();
    for (let i = 0; i < 3; i++) await issue(browser, inst);
    expect((await host.admin(`/api/installations/${inst.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await stateKeys()).toEqual([]);
    expect(await host.inspect.keys(`${host.config.keyPrefix}:*${inst.id}*`)).toEqual([]);
  });

  it('HEAD on initialize (a link checker, a prefetch) => 204, no state issued; a bad token is still 401', async () => {
    const inst = await createInstallation(host, undefined, NEUTRAL_CONNECTOR);
    const url = `${host.url}/connectors/acme/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`;
    for (let i = 0; i < 3; i++) expect((await fetch(url, { method: 'HEAD', redirect: 'manual' })).status).toBe(204);
    expect(await indexed(inst.id)).toBe(0);
    expect((await fetch(url.replace(/access_token=[^&]+/, 'access_token=wrong'), { method: 'HEAD' })).status).toBe(401);
  });
});

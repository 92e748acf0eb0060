import { expect, it } from 'vitest';
import { dumpKeys } from '../helpers/host';
import { createInstallation } from '../helpers/link';
import type { Rule } from './kit';

function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .join('; ');
}

/** Linking through the browser flow stores tokens encrypted and marks the installation linked. */
const linking: Rule = ({ host, link, kit }) => {
  it('link => linked, tokens stored, none of them in plain text in Redis', async () => {
    const inst = await link();
    const got = (await (await host().admin(`/api/installations/${inst.id}`)).json()) as { status: string };
    expect(got.status).toBe('linked');
    const stored = await host().services.tokens.get(inst.id);
    expect(stored?.tokens.accessToken.length).toBeGreaterThan(10);
    for (const [key, value] of await dumpKeys(host())) {
      expect(`${key} ${value}`).not.toContain(stored?.tokens.accessToken);
      if (stored?.tokens.refreshToken) expect(`${key} ${value}`).not.toContain(stored.tokens.refreshToken);
    }
  });

  // Forced linking (issue 14): another site's link is confirmed on our page before any state exists.
  it('initialize from another site => confirmation page and no state; its button => linked', async () => {
    const h = host();
    const inst = await createInstallation(h, undefined, kit.connector);
    const states = () => h.inspect.keys(`${h.config.keyPrefix}:oauth-state:*`);
    const page = await fetch(
      `${h.url}/connectors/${kit.connector}/oauth/initialize?appId=${inst.id}&access_token=${encodeURIComponent(inst.accessToken)}`,
      { redirect: 'manual', headers: { 'sec-fetch-site': 'cross-site' } },
    );
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain(h.services.connectors.get(kit.connector)?.definition.title ?? '?');
    expect(await states()).toEqual([]);

    const fields = Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
    const cookie = cookiesOf(page);
    const confirmed = await fetch(`${h.url}/connectors/${kit.connector}/oauth/initialize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(h.url).origin, 'sec-fetch-site': 'same-origin', cookie },
      body: new URLSearchParams(fields).toString(),
    });
    expect(confirmed.status).toBe(303);
    const callback = await h.fake.approve(confirmed.headers.get('location') ?? '', 'accept');
    const done = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect(done.status).toBe(200);
    const got = (await (await h.admin(`/api/installations/${inst.id}`)).json()) as { status: string };
    expect(got.status).toBe('linked');
  });
};
export default linking;

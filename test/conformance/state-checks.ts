import { expect, it } from 'vitest';
import { CookieBrowser } from '../helpers/browser';
import { createInstallation } from '../helpers/link';
import type { Rule } from './kit';

/** The callback refuses a reused state and a decline, and changes nothing when it does. */
const stateChecks: Rule = ({ host, kit }) => {
  it('callback replayed or declined => 400, installation still pending', async () => {
    const inst = await createInstallation(host(), undefined, kit.connector);
    const browser = new CookieBrowser();
    const init = (c: string) => `${host().url}/connectors/${c}/oauth/initialize?appId=${inst.id}&access_token=${inst.accessToken}`;
    const declined = await host().fake.approve((await browser.get(init(kit.connector))).headers.get('location') ?? '', 'decline');
    expect((await browser.get(declined)).status).toBe(400);
    const accepted = await host().fake.approve((await browser.get(init(kit.connector))).headers.get('location') ?? '', 'accept');
    const foreign = await new CookieBrowser().get(accepted);
    expect(foreign.status).toBe(400);
    expect((await browser.get(accepted)).status).toBe(400); // consumed by the foreign attempt
    const got = (await (await host().admin(`/api/installations/${inst.id}`)).json()) as { status: string };
    expect(got.status).toBe('pending');
    expect(await host().services.tokens.get(inst.id)).toBeUndefined();
  });
};
export default stateChecks;

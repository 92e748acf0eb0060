import { expect, it } from 'vitest';
import { dumpKeys } from '../helpers/host';
import type { Rule } from './kit';

/** Linking through the browser flow stores tokens encrypted and marks the installation linked. */
const linking: Rule = ({ host, link }) => {
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
};
export default linking;

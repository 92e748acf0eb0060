import { expect, it } from 'vitest';
import type { Rule } from './kit';

/** An expired token during calls → exactly one refresh, every call replayed and answered. */
const refreshReplay: Rule = ({ host, link }) => {
  it('20 concurrent calls on an expired token => 1 refresh, all answered, no stale refresh token', async () => {
    const inst = await link();
    host().fake.expireAccessTokens();
    const before = host().fake.refreshCount();
    const results = await Promise.all(Array.from({ length: 20 }, () => host().admin(`/api/installations/${inst.id}/discovered`)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(host().fake.refreshCount() - before).toBe(1);
    expect(host().fake.staleRefreshAttempts()).toBe(0);
  });
};
export default refreshReplay;

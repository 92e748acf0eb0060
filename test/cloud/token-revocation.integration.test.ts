import { afterEach, describe, expect, it } from 'vitest';
import { eventually, link } from '../helpers/link';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import type { EnabledConnector } from '../../src/runtime/services';
import { NEUTRAL_CONNECTOR, startNeutralHost, type NeutralHost } from '../helpers/neutral-host';

let host: NeutralHost;
let workers: RunningWorkers | undefined;

afterEach(async () => {
  await workers?.close();
  workers = undefined;
  await host.close();
});

/**
 * No shipped cloud documents a revocation endpoint, and the neutral connector declares none (so
 * other tests' uninstalls revoke nothing): these tests run its definition with a declared RFC 7009
 * endpoint, against its fake's POST /oauth2/revoke (the fake-cloud kit's handleRevoke).
 */
async function hostWithRevocation(): Promise<NeutralHost> {
  const h = await startNeutralHost({ env: { TOKEN_REVOCATION_ATTEMPTS: '3', TOKEN_REVOCATION_BACKOFF_MS: '20' } });
  const enabled = h.services.connectors.get(NEUTRAL_CONNECTOR);
  if (!enabled) throw new Error(`${NEUTRAL_CONNECTOR} not enabled`);
  const provider = { ...enabled.definition.provider, revocation: { kind: 'rfc7009' as const, path: '/oauth2/revoke', tokens: ['refresh_token' as const] } };
  (h.services.connectors as Map<string, EnabledConnector>).set(NEUTRAL_CONNECTOR, { ...enabled, definition: { ...enabled.definition, provider } });
  return h;
}

async function counter(name: string): Promise<Record<string, number>> {
  const metric = await host.services.metrics.registry.getSingleMetric(name)?.get();
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[Object.values(v.labels).join('|')] = v.value;
  return out;
}

const uninstall = (id: string) => host.admin(`/api/installations/${id}`, { method: 'DELETE' });

describe('provider token revocation at uninstall', () => {
  it('uninstall => 204 at once; the job holds the tokens sealed; the worker revokes them at the fake', async () => {
    host = await hostWithRevocation();
    const inst = await link(host, undefined, NEUTRAL_CONNECTOR);
    const tokens = (await host.services.tokens.get(inst.id))?.tokens;
    if (!tokens?.refreshToken) throw new Error('no tokens stored');
    // No worker yet: the uninstall answers without the cloud, and the job waits with its data.
    expect((await uninstall(inst.id)).status).toBe(204);
    const job = await host.services.revocations.queue.getJob(`revoke-${inst.id}`);
    expect(job?.data.sealedTokens).toMatch(/^v3\./);
    const raw = JSON.stringify(job?.data);
    expect(raw).not.toContain(tokens.refreshToken);
    expect(raw).not.toContain(tokens.accessToken);
    expect(host.fake.revocations).toEqual([]);

    workers = startWorkers(host.services, { concurrency: 2 });
    await eventually(async () => host.fake.revocations.length === 1, 'the fake to see the revocation');
    expect(host.fake.revocations).toEqual([{ tokenTypeHint: 'refresh_token', known: true }]);
    await eventually(async () => (await counter('sm_token_revocations_total'))[`${NEUTRAL_CONNECTOR}|revoked`] === 1, 'revoked counted');
  });

  it('a revocation endpoint answering 500 => retried, then gives up; uninstall still 204', async () => {
    host = await hostWithRevocation();
    workers = startWorkers(host.services, { concurrency: 2 });
    const inst = await link(host, undefined, NEUTRAL_CONNECTOR);
    host.fake.failNext('revoke', { kind: 'status', status: 500 }, 10);
    expect((await uninstall(inst.id)).status).toBe(204);
    expect((await host.admin(`/api/installations/${inst.id}`)).status).toBe(404);
    await eventually(async () => (await counter('sm_token_revocations_total'))[`${NEUTRAL_CONNECTOR}|gave_up`] === 1, 'the job to give up');
    const outcomes = await counter('sm_token_revocations_total');
    expect(outcomes[`${NEUTRAL_CONNECTOR}|retry`]).toBe(2);
    expect(outcomes[`${NEUTRAL_CONNECTOR}|revoked`]).toBeUndefined();
    expect(host.fake.calls.filter((c) => c.path === '/oauth2/revoke')).toHaveLength(3);
    expect(host.fake.revocations).toEqual([]);
    const failed = await host.services.revocations.queue.getJob(`revoke-${inst.id}`);
    expect(failed?.attemptsMade).toBe(3);
    expect(await failed?.getState()).toBe('failed');
  });

  it('a connector that declares no revocation endpoint => nothing queued, uninstall as before', async () => {
    host = await startNeutralHost();
    const inst = await link(host, undefined, NEUTRAL_CONNECTOR);
    expect((await uninstall(inst.id)).status).toBe(204);
    expect(await host.services.revocations.queue.getJob(`revoke-${inst.id}`)).toBeUndefined();
    expect(host.fake.calls.filter((c) => c.path === '/oauth2/revoke')).toHaveLength(0);
  });
});

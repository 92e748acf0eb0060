import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/link';
import { hashToken, randomToken } from '../../src/runtime/secrets/crypto';
import { confirmationKey } from '../../src/webservices/event-subscriptions';
import { authorizeAndExchange, bearer, startWorld, type World } from '../webservices/harness';

/**
 * Issue 14, item 8: a subscription's confirmation token is never stored (it is derived when sent),
 * and only the token of that subscription, under this deployment's key, confirms it.
 */
describe('subscription confirmation tokens', () => {
  let w: World;
  let api: ReturnType<typeof bearer>;
  let uri: string;
  beforeAll(async () => {
    w = await startWorld();
    const { tokens } = await authorizeAndExchange(w, [w.devices.get('dev-1') ?? '']);
    api = bearer(w, tokens.access_token);
    const [ep] = (await (await api('/api/smartapps/endpoints')).json()) as { uri: string }[];
    uri = ep?.uri ?? '';
  });
  afterAll(async () => {
    await w.close();
  });

  const create = async () => {
    const res = await api(`${uri}/subscriptions`, { method: 'POST', body: JSON.stringify({ targetUrl: w.sys.hookUrl, events: ['device.stateChanged'] }) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; secret: string };
  };
  const tokenSentFor = (id: string) =>
    eventually(async () => {
      for (const hook of w.sys.hooks()) {
        const url = (hook.body['confirmationData'] as { confirmationUrl?: string } | undefined)?.confirmationUrl;
        if (url?.includes(`/subscriptions/${id}/confirm`)) return new URL(url).searchParams.get('token') ?? undefined;
      }
      return undefined;
    }, `the CONFIRMATION of ${id}`);
  const confirmWith = (id: string, token: string) => fetch(`${w.host.url}/api/smartapps/subscriptions/${id}/confirm?token=${encodeURIComponent(token)}`);

  it('the CONFIRMATION job holds the subscription id only; the token and the signing secret are built when it is sent', async () => {
    const sub = await create();
    const token = await tokenSentFor(sub.id);
    const jobs = await w.host.services.webServices.deliveries.queue.getJobs(['completed', 'active', 'waiting', 'delayed', 'failed']);
    const job = jobs.find((j) => j.data.subscriptionId === sub.id);
    expect(job?.data).toEqual({ kind: 'confirmation', subscriptionId: sub.id });
    const raw = JSON.stringify(await w.host.inspect.hgetall(`${w.host.config.keyPrefix}:bull:smartapp-delivery:${job?.id ?? ''}`));
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(sub.secret);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("another subscription's token, a token under another SECRET_KEY, or a deleted subscription's => 404; its own => 200", async () => {
    const a = await create();
    const b = await create();
    const tokenA = await tokenSentFor(a.id);
    const tokenB = await tokenSentFor(b.id);
    expect(tokenA).not.toBe(tokenB);
    const otherDeployment = createHmac('sha256', confirmationKey(randomBytes(32))).update(b.id).digest('base64url');
    for (const [id, token] of [[b.id, tokenA], [a.id, tokenB], [b.id, otherDeployment], [b.id, ''], [b.id, tokenB.slice(0, -1)]] as const) {
      const res = await confirmWith(id, token);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'not_found' });
    }
    expect((await confirmWith(b.id, tokenB)).status).toBe(200);
    expect(((await (await api(`${uri}/subscriptions/${a.id}`)).json()) as { status: string }).status).toBe('pending');
    expect((await api(`${uri}/subscriptions/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await confirmWith(a.id, tokenA)).status).toBe(404);
  });

  it('a subscription made before tokens were derived still confirms with the random token it was sent', async () => {
    const sub = await create();
    const legacy = randomToken();
    const key = `${w.host.config.keyPrefix}:ws:sub:${sub.id}`;
    const record = JSON.parse((await w.host.inspect.get(key)) ?? '{}') as Record<string, unknown>;
    expect(record).not.toHaveProperty('confirmHash');
    await w.host.inspect.set(key, JSON.stringify({ ...record, confirmHash: hashToken(legacy) }));
    expect((await confirmWith(sub.id, randomToken())).status).toBe(404);
    expect((await confirmWith(sub.id, legacy)).status).toBe(200);
  });
});

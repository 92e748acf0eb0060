import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCluster, type RedisCluster } from '../helpers/cluster';
import { topologyEnv } from '../helpers/redis-client';
import { authorizeAndExchange, bearer, startWorld, token, type World } from '../webservices/harness';

/**
 * The Web Services flow on a real Redis Cluster: an external system authorizes, exchanges the
 * code, lists the granted devices, rotates its refresh token (the old one is then refused), and
 * the admin revokes the app. Users, clients, app installations and grants each spread over the
 * primaries; none of their writes spans two slots.
 */

let cluster: RedisCluster;
let w: World;

beforeAll(async () => {
  cluster = await startCluster();
  w = await startWorld({ env: topologyEnv(cluster.topology) });
}, 120_000);
afterAll(async () => {
  // The world's cleanup deletes keys with one DEL, which a Cluster refuses across slots: the cluster goes anyway.
  await w?.close().catch(() => w?.host.inspect.disconnect());
  await cluster?.stop();
});

it('authorize, token, devices, refresh rotation and revocation on the Cluster', async () => {
  expect(w.host.services.redis.isCluster).toBe(true);
  const granted = [...w.devices.values()].slice(0, 2);
  const { tokens } = await authorizeAndExchange(w, granted);
  const api = bearer(w, tokens.access_token);
  const endpoints = (await (await api('/api/smartapps/endpoints')).json()) as Array<{ uri: string }>;
  expect(endpoints).toHaveLength(1);
  const listed = (await (await api(`${endpoints[0]?.uri ?? ''}/devices`)).json()) as Array<{ id: string }>;
  expect(listed.map((d) => d.id).sort()).toEqual([...granted].sort());

  const rotated = await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  expect(rotated.res.status).toBe(200);
  const fresh = rotated.json as unknown as { access_token: string };
  expect((await bearer(w, fresh.access_token)('/api/smartapps/endpoints')).status).toBe(200);
  // Presenting the rotated refresh token again is reuse: the whole grant is revoked.
  expect((await token(w, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).res.status).toBe(400);
  expect((await bearer(w, fresh.access_token)('/api/smartapps/endpoints')).status).toBe(401);
});

import { afterEach, beforeEach, expect, it } from 'vitest';
import { pollJobSchema } from '../../src/sync/poll-queue';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { signature } from '../../connectors/netatmo/fake/push';

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let host: HostCore & { fake: FakeNetatmo };

beforeEach(async () => {
  // A Redis of our own, so stopping it hurts nobody else.
  redis = await startPrivateRedis({ appendOnly: true });
  const fake = await startNetatmoKitFake();
  host = { ...(await startHostCore({ fakes: { netatmo: fake }, env: { REDIS_URL: redis.url } })), fake };
});
afterEach(async () => {
  await host.close().catch(() => undefined);
  await host.fake.stop();
  await redis.stop();
});

it('webhook while Redis is down => 503, never 2xx; once Redis is back => accepted again and a catch-up poll is queued', async () => {
  const inst = await link(host, undefined, 'netatmo');
  const callback = await eventually(async () => host.fake.webhookUrl(), 'addwebhook');
  const body = JSON.stringify({ push_type: 'display_change', event_type: 'set_point', home_id: 'h', room_id: '1', mode: 'home', temperature: 0 });
  const post = () =>
    fetch(callback, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-netatmo-secret': signature(host.fake.clientSecret, body) },
    });
  expect((await post()).status).toBe(200);

  await redis.stop({ keepData: true });
  const during = await post();
  expect(during.status).toBe(503);
  expect(await during.json()).toMatchObject({ error: 'service_unavailable' });
  expect(host.services.missedDeliveries.size).toBe(1);

  const again = await startPrivateRedis({ port: redis.port, dir: redis.dir, appendOnly: true });
  redis = again;
  await eventually(async () => (await post()).status === 200, 'ingestion to recover');
  await eventually(async () => host.services.missedDeliveries.size === 0, 'the catch-up poll');
  const jobs = await host.services.scheduler.queue.getJobs(['waiting', 'delayed', 'active', 'completed']);
  expect(jobs.some((j) => j !== undefined && pollJobSchema.safeParse(j.data).data?.installationId === inst.id && pollJobSchema.safeParse(j.data).data?.reason === 'catch-up')).toBe(true);
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeNetatmo } from '../../connectors/netatmo/fake/server';
import { startNetatmoKitFake } from '../../connectors/netatmo/test/kit';
import { startPrivateRedis } from '../../src/runtime/redis-bootstrap';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { callbacksOf } from '../../src/ingest/webhook-queue';
import { listDevices, netatmoSetpoint, readEvents } from '../helpers/faults';
import { startHostCore, type HostCore } from '../helpers/host';
import { eventually, link } from '../helpers/link';

/**
 * Redis (append-only persistence) is stopped and restarted on the same port and data while
 * webhooks keep arriving. While it is down the host answers 503, never 2xx; it recovers by
 * itself; and every webhook it acknowledged, before or after, is applied. Not in the main suite:
 * how many requests land in each phase varies from run to run.
 */

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let netatmo: FakeNetatmo;
let host: HostCore;
let workers: RunningWorkers | undefined;

beforeAll(async () => {
  redis = await startPrivateRedis({ appendOnly: true });
  netatmo = await startNetatmoKitFake();
  host = await startHostCore({ fakes: { netatmo }, env: { REDIS_URL: redis.url } });
  workers = startWorkers(host.services, { concurrency: 4, lockDurationMs: 2_000, stalledIntervalMs: 1_000 });
});
afterAll(async () => {
  await workers?.close();
  await host?.close().catch(() => undefined);
  await netatmo?.stop();
  await redis?.stop();
});

type Phase = 'up' | 'stopping' | 'down' | 'restarting' | 'recovered';

interface Sent {
  temperature: number;
  externalId: string;
  status: number;
  /** Phase when the request was sent and when its answer came. */
  sentIn: Phase;
  answeredIn: Phase;
  answeredAt: number;
}

it('Redis restarted under webhook load => 503 (never 2xx) while down, recovers by itself, every acknowledged webhook applied', async () => {
  const inst = await link({ ...host, fake: netatmo }, undefined, 'netatmo');
  const home = netatmo.homes()[0];
  if (!home) throw new Error('no home');
  const externalIds = home.rooms.map((r) => `${home.id}.${r.id}`);
  expect((await host.admin(`/api/installations/${inst.id}/settings`, { method: 'PUT', body: JSON.stringify({ devices: externalIds }) })).status).toBe(200);
  const devices = await listDevices(host, inst.id);
  const callback = await eventually(async () => netatmo.webhookUrl(), 'the netatmo webhook registration', 20_000);
  const baseline = (await readEvents(host, inst.id)).next;

  let phase: Phase = 'up';
  const sent: Sent[] = [];
  let n = 0;
  let loading = true;
  const sender = async () => {
    while (loading) {
      const i = n++;
      const room = home.rooms[i % home.rooms.length];
      if (!room) throw new Error('no room');
      const temperature = (300 + i) / 10;
      const { body, signature } = netatmoSetpoint(netatmo.clientSecret, home.id, room.id, temperature);
      const sentIn = phase;
      const res = await fetch(callback, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-netatmo-secret': signature } });
      await res.arrayBuffer();
      sent.push({ temperature, externalId: `${home.id}.${room.id}`, status: res.status, sentIn, answeredIn: phase, answeredAt: Date.now() });
    }
  };
  const load = Promise.all(Array.from({ length: 4 }, sender));
  const readyz: Array<{ phase: Phase; status: number }> = [];
  const probing = (async () => {
    while (loading) {
      const p = phase;
      readyz.push({ phase: p, status: (await fetch(`${host.url}/readyz`)).status });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const acks = () => sent.filter((s) => s.status === 200).length;
  await eventually(async () => acks() >= 50, 'acknowledged webhooks before the outage', 30_000);
  phase = 'stopping';
  await redis.stop({ keepData: true });
  const downAt = Date.now();
  phase = 'down';
  // Stay down until a good number of requests were answered, however slowly they come (a refusal
  // waits for the Redis client's reconnect attempt, up to about 2 s).
  await eventually(async () => sent.filter((s) => s.sentIn === 'down').length >= 16, 'requests during the outage', 120_000);
  phase = 'restarting';
  redis = await startPrivateRedis({ port: redis.port, dir: redis.dir, appendOnly: true });
  const upAt = Date.now();
  phase = 'recovered';
  // Nobody pokes the host: the load simply continues and must start succeeding again.
  await eventually(async () => sent.filter((s) => s.sentIn === 'recovered' && s.status === 200).length >= 50, 'acknowledgements after the restart', 60_000);
  loading = false;
  await Promise.all([load, probing]);

  // Only 200 or 503; nothing sent and answered while Redis was down was acknowledged.
  expect([...new Set(sent.map((s) => s.status))].sort()).toEqual([200, 503]);
  const duringOutage = sent.filter((s) => s.sentIn === 'down' && s.answeredIn === 'down');
  expect(duringOutage.length).toBeGreaterThanOrEqual(8);
  expect(duringOutage.filter((s) => s.status !== 503)).toEqual([]);
  expect(readyz.filter((r) => r.phase === 'down').every((r) => r.status === 503)).toBe(true);
  expect(readyz.some((r) => r.phase === 'recovered' && r.status === 200)).toBe(true);

  // Every acknowledged webhook, before, around and after the outage, is applied exactly as sent.
  const acked = sent.filter((s) => s.status === 200);
  const byId = new Map(devices.map((d) => [d.id, d.externalId]));
  const missing = async () => {
    const seen = new Set<string>();
    for (const e of (await readEvents(host, inst.id, baseline)).events) {
      const value = (e.data['changed'] as Record<string, unknown> | undefined)?.['heatingSetpoint'];
      if (e.type === 'device.stateChanged' && e.deviceId && typeof value === 'number') seen.add(`${byId.get(e.deviceId)}=${value}`);
    }
    return acked.filter((s) => !seen.has(`${s.externalId}=${s.temperature}`));
  };
  let left: Sent[] = [];
  const waitFrom = Date.now();
  try {
    await eventually(async () => (left = await missing()).length === 0, 'every acknowledged webhook to be applied', 120_000);
  } catch (err) {
    const failed = (await host.services.webhooks.queue.getJobs(['failed'])).map((j) => `${j && callbacksOf(j.data).map((c) => c.body.match(/"temperature":([\d.]+)/)?.[1]).join(',')}: ${j?.failedReason}`);
    const counts = await host.services.webhooks.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    throw new Error(
      `${left.length} of ${acked.length} acknowledged webhooks were not applied: ${JSON.stringify(left.slice(0, 5))}; queue ${JSON.stringify(counts)}; failed ${JSON.stringify(failed.slice(0, 5))}`,
      { cause: err },
    );
  }
  const appliedAfterMs = Date.now() - upAt;
  const waitedMs = Date.now() - waitFrom;
  expect((await listDevices(host, inst.id)).map((d) => d.id).sort()).toEqual(devices.map((d) => d.id).sort());

  const refused = sent.filter((s) => s.status === 503);
  const first503 = Math.min(...refused.map((s) => s.answeredAt));
  const firstAckAfter = Math.min(...sent.filter((s) => s.sentIn === 'recovered' && s.status === 200).map((s) => s.answeredAt));
  // eslint-disable-next-line no-console
  console.info(
    `redis restart: down ${upAt - downAt} ms; 503s for ${firstAckAfter - first503} ms (${refused.length} refused, first ack ${firstAckAfter - upAt} ms after redis was back); ${acked.length} acked, ${acked.length} applied, the last ${appliedAfterMs} ms after redis was back (${waitedMs} ms after the load stopped)`,
  );
}, 300_000);

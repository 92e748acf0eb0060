import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toolClient } from '../test/helpers/redis-client';
import { createApp } from '../src/runtime/http/app';
import { issueCallbackToken } from '../src/ingest/cloud-subscriptions';
import { startChild } from './lib/child';
import { benchEnv, servicesFrom, size } from './lib/env';
import { benchRedis } from './lib/redis';
import { inParallel, seedLinkedInstallation } from './lib/seed';
import { fmt, summarize, table, type BenchResult } from './lib/stats';
import { setpointBody, sign } from './ingest';
import { eventKeys } from '../src/platform/event-keys';

const CLIENT_SECRET = 'bench-netatmo-client-secret';
const ROOMS = 2;

/**
 * End-to-end latency at a steady rate: from just before a callback is sent to the moment its
 * device.stateChanged event is in the platform stream (written in the same MULTI as the device's
 * attributes, so the stream entry's own timestamp marks both). Host in this process, workers in a
 * child process, as deployed.
 */
export async function e2eBench(): Promise<BenchResult> {
  const rate = size('BENCH_E2E_RATE', 200, 100);
  const seconds = size('BENCH_E2E_SECONDS', 10, 3);
  const installations = size('BENCH_E2E_INSTALLATIONS', 100, 20);
  const redis = await benchRedis();
  const env = benchEnv({
    redisUrl: redis.url,
    keyPrefix: 'bench-e2e',
    connectors: { netatmo: { url: 'http://127.0.0.1:9', clientId: 'bench-netatmo', clientSecret: CLIENT_SECRET } },
  });
  const host = await servicesFrom(env);
  const { services } = host;
  const server = createServer(createApp(services).callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const worker = startChild('worker-process.ts', { env: { ...env, WORKER_QUEUES: 'webhook', WORKER_CONCURRENCY: '16' } });
  const reader = toolClient(redis.url);
  const targets: Array<{ id: string; url: string; home: string }> = [];
  const acks: number[] = [];
  const latencies: number[] = [];
  let failures = 0;
  try {
    await inParallel(installations, 20, async (i) => {
      const home = `home${String(i).padStart(6, '0')}`;
      const devices = Array.from({ length: ROOMS }, (_, r) => ({
        externalId: `${home}.room${r}`,
        name: `Room ${r}`,
        type: 'thermostat',
        attributes: { heatingSetpoint: 19, setpointMode: 'schedule', temperature: 20.5 },
      }));
      const id = await seedLinkedInstallation(services, { connector: 'netatmo', locationId: `loc-${i}`, devices });
      const installation = await services.installations.get(id);
      if (!installation) throw new Error('seeded installation vanished');
      const callback = new URL(await issueCallbackToken(services, installation));
      targets.push({ id, url: `${base}${callback.pathname}${callback.search}`, home });
    });
    await worker.next('ready');

    const sentAt = new Map<string, number>();
    // Every partition's event stream, each read on from where it was (the event log's own layout).
    const streams = Array.from({ length: services.keys.partitions.count }, (_, k) => eventKeys(services.keys).partitionEvents(k));
    const lastIds = new Map(streams.map((key) => [key, '$']));
    let watching = true;
    const total = rate * seconds;
    const watcher = (async () => {
      while (watching || latencies.length + failures < total) {
        const reply = await reader.xread('COUNT', 1000, 'BLOCK', 500, 'STREAMS', ...streams, ...streams.map((key) => lastIds.get(key) ?? '$'));
        if (!reply) {
          if (!watching) break;
          continue;
        }
        for (const [stream, entries] of reply) {
          for (const [entryId, fields] of entries) {
            lastIds.set(stream, entryId);
            const f = new Map<string, string>();
            for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
            if (f.get('type') !== 'device.stateChanged') continue;
            const m = /"heatingSetpoint":(-?[\d.]+)/.exec(f.get('data') ?? '');
            const key = `${f.get('installationId')}|${f.get('deviceId')?.length ? m?.[1] : ''}`;
            const t0 = sentAt.get(key);
            if (t0 !== undefined) {
              latencies.push(Number(entryId.split('-')[0]) - t0);
              sentAt.delete(key);
            }
          }
        }
      }
    })();

    const start = Date.now() + 50;
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = targets[i % targets.length]!;
      const temperature = 100 + i; // unique per callback, so its event can be matched
      const body = setpointBody(t.home, `room${i % ROOMS}`, temperature);
      const t0 = Date.now();
      sentAt.set(`${t.id}|${temperature}`, t0);
      inflight.push(
        fetch(t.url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-netatmo-secret': sign(body) } }).then(
          async (res) => {
            await res.arrayBuffer();
            if (res.status === 200) acks.push(Date.now() - t0);
            else failures++;
          },
          () => {
            failures++;
          },
        ),
      );
    }
    await Promise.all(inflight);
    const deadline = Date.now() + 30_000;
    while (latencies.length + failures < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    watching = false;
    await watcher;
  } finally {
    await worker.stop();
    server.closeAllConnections();
    server.close();
    reader.disconnect();
    await host.close();
    await redis.client.quit().catch(() => undefined);
    await redis.stop();
  }

  const e2e = summarize(latencies);
  const ack = summarize(acks);
  const total = rate * seconds;
  console.log(`\n## End-to-end latency (${rate}/s for ${seconds} s over ${installations} installations × ${ROOMS} rooms; one worker process, concurrency 16)`);
  console.log(
    table(
      ['stage', 'n', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['callback acknowledged (200)', String(ack.n), fmt(ack.p50), fmt(ack.p99), fmt(ack.max)],
        ['device updated + event appended', String(e2e.n), fmt(e2e.p50), fmt(e2e.p99), fmt(e2e.max)],
      ],
    ),
  );
  if (failures || e2e.n < total) console.log(`!! ${failures} callbacks not acknowledged, ${total - e2e.n - failures} acknowledged but not seen applied`);
  return {
    name: 'end-to-end latency',
    figures: { rate: `${rate}/s`, 'p50/p99 ms': `${fmt(e2e.p50)} / ${fmt(e2e.p99)}`, applied: `${e2e.n}/${total}` },
    ratio: `${e2e.p50 > 0 ? (e2e.p50 / ack.p50).toFixed(1) : 'n/a'}× the ack p50`,
  };
}

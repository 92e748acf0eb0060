import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWorkers } from '../src/runtime/workers';
import { benchEnv, servicesFrom, size } from './lib/env';
import { benchRedis } from './lib/redis';
import { fmt, summarize, table, type BenchResult } from './lib/stats';

/**
 * Event-sink delivery latency: from appending an event to the stream (as a poll does) to the
 * signed POST arriving at a local sink (a plain Node server on 127.0.0.1 answering 204), through
 * the fan-out, the sink's BullMQ queue and one worker process (this one).
 *
 * - one at a time: each event waits for the previous one to arrive (idle latency);
 * - burst: BENCH_SINK_BURST events over 20 installations appended at once (latency under load,
 *   and throughput: in order per installation, installations in parallel).
 */
export async function sinksBench(): Promise<BenchResult> {
  const sequential = size('BENCH_SINK_N', 300, 50);
  const burst = size('BENCH_SINK_BURST', 2_000, 200);
  const redis = await benchRedis();
  const arrived = new Map<string, number>();
  let onArrive: (() => void) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { key: string } };
      arrived.set(body.data.key, performance.now());
      res.writeHead(204).end();
      onArrive?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  const built = await servicesFrom({ ...benchEnv({ redisUrl: redis.url, keyPrefix: 'bench-sinks', connectors: {} }), WS_ALLOW_PRIVATE_TARGETS: 'true' });
  const { services } = built;
  await services.webServices.sinks.create({ url, types: null, connectors: null }, new Date());
  const workers = startWorkers(services, { concurrency: 16 });
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise<void>((r) => (onArrive = r));
  };
  try {
    while ((await services.webServices.sinkDrains.cursor()) === undefined) await new Promise((r) => setTimeout(r, 10));

    const idle: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const key = `s${i}`;
      const t0 = performance.now();
      await services.events.append([{ type: 'device.stateChanged', installationId: 'inst-0', deviceId: 'd', data: { key } }]);
      await until(() => arrived.has(key));
      idle.push((arrived.get(key) ?? t0) - t0);
    }

    const sent = new Map<string, number>();
    const t0 = performance.now();
    for (let i = 0; i < burst; i++) {
      const key = `b${i}`;
      sent.set(key, performance.now());
      await services.events.append([{ type: 'device.stateChanged', installationId: `inst-${i % 20}`, deviceId: 'd', data: { key } }]);
    }
    await until(() => [...sent.keys()].every((k) => arrived.has(k)));
    const elapsed = (performance.now() - t0) / 1000;
    const loaded = [...sent].map(([k, at]) => (arrived.get(k) ?? at) - at);

    const a = summarize(idle.sort((x, y) => x - y));
    const b = summarize(loaded.sort((x, y) => x - y));
    console.log('\n## Event sink delivery latency (append → POST at a local sink)');
    console.log(
      table(
        ['case', 'events', 'p50 ms', 'p99 ms', 'max ms', 'events/s'],
        [
          ['one at a time', String(a.n), fmt(a.p50), fmt(a.p99), fmt(a.max), '-'],
          ['burst, 20 installations', String(b.n), fmt(b.p50), fmt(b.p99), fmt(b.max), fmt(burst / elapsed, 0)],
        ],
      ),
    );
    return {
      name: 'sinks',
      figures: { 'idle p50 ms': fmt(a.p50), 'idle p99 ms': fmt(a.p99), 'burst p50 ms': fmt(b.p50), 'burst p99 ms': fmt(b.p99), 'burst events/s': fmt(burst / elapsed, 0) },
      ratio: 'n/a',
    };
  } finally {
    await workers.close();
    await built.close();
    server.closeAllConnections();
    server.close();
    await redis.stop();
  }
}

/**
 * A worker process for the benchmarks: real BullMQ workers running the real job processors, as
 * `npm start -- work` runs them, and with poll workers the poll schedule dispatcher (so its round
 * trips are counted with the polls'). WORKER_QUEUES picks poll, webhook or both; it reports how
 * many jobs it completed when asked (`{"type":"stats"}` on stdin).
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { POLL_WORKER_OPTIONS, type PollJobData } from '../src/sync/poll-queue';
import type { WebhookJob } from '../src/ingest/webhook-queue';
import { startPartitionWorkers } from '../src/runtime/queues/partition-workers';
import { pollProcessor } from '../src/sync/poll-worker';
import { startPollDispatcher } from '../src/sync/build';
import { subscriptionPollHooks } from '../src/ingest/cloud-subscriptions';
import { webhookProcessor } from '../src/ingest/webhook-worker';
import { commands, emit } from './lib/child';
import { servicesFrom } from './lib/env';

/**
 * Round trips as the client sees them: a plain command is one, a pipeline or MULTI (its commands
 * share one write) is one. Redis's own counters cannot tell, since they also count the commands
 * inside Lua scripts.
 */
const roundTrips = { count: 0, byCommand: {} as Record<string, number> };
const pipelines = new WeakSet<object>();
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
  const stream = args[1] as object | undefined;
  let first = stream === undefined;
  if (stream !== undefined && !pipelines.has(stream)) {
    pipelines.add(stream);
    first = true;
  }
  if (first) {
    roundTrips.count++;
    // Named by its first command (a pipeline's), so the bench can say where the round trips go.
    const name = args[0].name + (stream === undefined ? '' : ' (pipeline)');
    roundTrips.byCommand[name] = (roundTrips.byCommand[name] ?? 0) + 1;
  }
  return sendCommand.apply(this, args);
};

const built = await servicesFrom(process.env);
const { services } = built;
const which = process.env['WORKER_QUEUES'] ?? 'both';
const concurrency = Number(process.env['WORKER_CONCURRENCY'] ?? 16);
const connection = services.connections.create('blocking');
connection.on('error', () => undefined);
const counts = { completed: 0, failed: 0, outcomes: {} as Record<string, number>, failures: {} as Record<string, number> };
const workers: Worker[] = [];

function watch(worker: Worker) {
  worker.on('completed', (_job, result) => {
    counts.completed++;
    const key = String(result);
    counts.outcomes[key] = (counts.outcomes[key] ?? 0) + 1;
  });
  worker.on('failed', (_job, err) => {
    counts.failed++;
    const key = err.message.slice(0, 80);
    counts.failures[key] = (counts.failures[key] ?? 0) + 1;
  });
  worker.on('error', () => undefined);
  workers.push(worker);
}
// As startWorkers runs them: a worker per partition queue (and the legacy single queue), sharing `concurrency`.
if (which === 'poll' || which === 'both') {
  for (const w of startPartitionWorkers<PollJobData>(services.scheduler.queue, pollProcessor(services, subscriptionPollHooks(services)), { connection, ...POLL_WORKER_OPTIONS }, concurrency)) watch(w);
}
if (which === 'webhook' || which === 'both') {
  for (const w of startPartitionWorkers<WebhookJob>(services.webhooks.queue, webhookProcessor(services), { connection }, concurrency)) watch(w);
}
await Promise.all(workers.map((w) => w.waitUntilReady()));
const dispatcher = which === 'poll' || which === 'both' ? startPollDispatcher(services) : undefined;
emit({ type: 'ready', pid: process.pid });

process.once('SIGTERM', () => {
  void Promise.resolve(dispatcher?.close())
    .then(() => Promise.all(workers.map((w) => w.close())))
    .then(() => built.close())
    .finally(() => process.exit(0));
});

for await (const command of commands()) {
  if (command.type === 'stats') emit({ type: 'stats', ...counts, roundTrips: roundTrips.count, roundTripsBy: roundTrips.byCommand });
}

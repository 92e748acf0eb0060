import { Worker, type Processor } from 'bullmq';
import { startPartitionWorkers } from './queues/partition-workers';
import type { Redis } from 'ioredis';
import { type DispatcherOptions, POLL_WORKER_OPTIONS, type PollJobData, pollProcessor, startPollDispatcher } from '../sync';
import { subscriptionPollHooks, type WebhookJob, webhookProcessor } from '../ingest';
import type { Services } from './services';
import { REVOCATION_QUEUE, type RevocationJob, revocationProcessor } from '../cloud';
import { DELIVERY_QUEUE, type DeliveryJob, deliveryProcessor, EventFanout, SINK_QUEUE, type SinkJob, sinkDeliveryProcessor } from '../webservices';

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts this process's BullMQ workers. Each gets its own blocking connection, as BullMQ requires. */
export interface WorkerOptions {
  /**
   * Jobs of one queue name this process runs at once (16 when unset). The poll and webhook queues
   * are one queue per partition: their workers share it (partition-workers.ts).
   */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, and how often stalled jobs are looked for: a
   * crashed worker's active jobs go back to the queue within about their sum. BullMQ's defaults
   * (30 s each) when unset; fault tests shorten them.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** The poll schedule dispatcher's batch, lease and sleep (poll-dispatcher.ts); its defaults when unset. */
  dispatcher?: DispatcherOptions;
}

export function startWorkers(services: Services, options: WorkerOptions = {}): RunningWorkers {
  // One client per worker from the factory (`blocking`: the `maxRetriesPerRequest: null` BullMQ
  // requires); BullMQ duplicates it for the blocking fetch, and leaves it to us to close.
  const connections: Redis[] = [];
  const connectionFor = (queue: string): Redis => {
    const connection = services.connections.create('blocking');
    connection.on('error', (err: Error) => services.log.debug({ queue, reason: err.message }, 'worker connection error'));
    connections.push(connection);
    return connection;
  };
  const recovery = {
    ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
  };
  const concurrency = options.concurrency ?? 16;
  const observe = <T>(worker: Worker<T>, errorMessage: string): Worker<T> => {
    worker.on('error', (err) => services.log.warn({ reason: err.message }, errorMessage));
    worker.on('completed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'completed' }));
    worker.on('failed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'failed' }));
    return worker;
  };
  type Extra = { maxStalledCount?: number; removeOnComplete?: { count: number }; removeOnFail?: { count: number } };
  // Every queue's worker is made alike; only the queue, its processor and its log line differ.
  const start = <T>(queue: string, processor: Processor<T>, errorMessage: string, extra: Extra = {}): Worker<T> =>
    observe(new Worker<T>(queue, processor, { connection: connectionFor(queue), ...recovery, ...extra, prefix: services.keys.bullPrefix, concurrency }), errorMessage);
  // Poll and webhook jobs are in one queue per partition (and the legacy single queue, still
  // worked): a worker on each, sharing one non-blocking connection per queue name; BullMQ gives
  // each its own blocking one.
  const startPartitioned = <T>(queue: { readonly name: string } & Parameters<typeof startPartitionWorkers<T>>[0], processor: Processor<T>, errorMessage: string, extra: Extra = {}): Worker<T>[] =>
    startPartitionWorkers(queue, processor, { connection: connectionFor(queue.name), ...recovery, ...extra }, concurrency).map((w) => observe(w, errorMessage));
  const poll = startPartitioned<PollJobData>(services.scheduler.queue, pollProcessor(services, subscriptionPollHooks(services)), 'poll worker error', POLL_WORKER_OPTIONS);
  // A webhook job holds a batch of acknowledged callbacks and records each one it applies, so
  // re-running it after a crash is safe; failing it after BullMQ's default single stall would park
  // up to a whole batch in the failed set because two workers died in a row.
  const webhook = startPartitioned<WebhookJob>(services.webhooks.queue, webhookProcessor(services), 'webhook worker error', { maxStalledCount: 10 });
  // Deliveries, event sinks and token revocations are per subscription, sink or account, not per
  // installation: one queue each under the shared prefix (their load is not the fleet's polls).
  const delivery = start<DeliveryJob>(DELIVERY_QUEUE, deliveryProcessor(services), 'delivery worker error');
  const revocation = start<RevocationJob>(
    REVOCATION_QUEUE,
    revocationProcessor({
      connectors: services.connectors,
      tokens: services.tokens,
      log: services.log,
      timeoutMs: services.config.httpTimeoutMs,
      onOutcome: (connector, outcome) => services.metrics.tokenRevocations.inc({ connector, outcome }),
    }),
    'token revocation worker error',
  );
  const sinks = start<SinkJob>(SINK_QUEUE, sinkDeliveryProcessor(services), 'event sink worker error');
  const fanout = new EventFanout(services);
  fanout.start();
  // Due poll schedules become poll jobs wherever polls are worked (every such process dispatches; claims keep it once).
  const dispatcher = startPollDispatcher(services, options.dispatcher);
  return {
    close: async () => {
      await dispatcher.close();
      await fanout.stop();
      await Promise.all([...poll, ...webhook, delivery, revocation, sinks].map((w) => w.close()));
      for (const connection of connections) connection.disconnect();
    },
  };
}

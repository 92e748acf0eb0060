import { Worker, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import { type DispatcherOptions, POLL_QUEUE, POLL_WORKER_OPTIONS, type PollJobData, pollProcessor, startPollDispatcher } from '../sync';
import { subscriptionPollHooks, WEBHOOK_QUEUE, type WebhookJob, webhookProcessor } from '../ingest';
import type { Services } from './services';
import { REVOCATION_QUEUE, type RevocationJob, revocationProcessor } from '../cloud';
import { DELIVERY_QUEUE, type DeliveryJob, deliveryProcessor, EventFanout, SINK_QUEUE, type SinkJob, sinkDeliveryProcessor } from '../webservices';

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts this process's BullMQ workers. Each gets its own blocking connection, as BullMQ requires. */
export interface WorkerOptions {
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
  // Every queue's worker is made alike; only the queue, its processor and its log line differ.
  const start = <T>(queue: string, processor: Processor<T>, errorMessage: string, extra: { maxStalledCount?: number; removeOnComplete?: { count: number }; removeOnFail?: { count: number } } = {}): Worker<T> => {
    const worker = new Worker<T>(queue, processor, {
      connection: connectionFor(queue),
      ...recovery,
      ...extra,
      prefix: services.keys.bullPrefix,
      concurrency: options.concurrency ?? 16,
    });
    worker.on('error', (err) => services.log.warn({ reason: err.message }, errorMessage));
    worker.on('completed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'completed' }));
    worker.on('failed', () => services.metrics.jobs.inc({ queue: worker.name, outcome: 'failed' }));
    return worker;
  };
  const poll = start<PollJobData>(POLL_QUEUE, pollProcessor(services, subscriptionPollHooks(services)), 'poll worker error', POLL_WORKER_OPTIONS);
  // A webhook job holds a batch of acknowledged callbacks and records each one it applies, so
  // re-running it after a crash is safe; failing it after BullMQ's default single stall would park
  // up to a whole batch in the failed set because two workers died in a row.
  const webhook = start<WebhookJob>(WEBHOOK_QUEUE, webhookProcessor(services), 'webhook worker error', { maxStalledCount: 10 });
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
      await Promise.all([poll.close(), webhook.close(), delivery.close(), revocation.close(), sinks.close()]);
      for (const connection of connections) connection.disconnect();
    },
  };
}

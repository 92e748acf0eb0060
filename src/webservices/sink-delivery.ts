import type { WebServices } from './web-services';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Base } from '../runtime';
import { postJson, postOutcome } from './delivery-worker';
import { sinkJobSchema, type SinkJob } from './sink-queue';
import { parseQueued, sinkEventTime } from './sink-routing';
import { standardHeaders } from './standard-webhooks';

export type SinkDeliveryOutcome = 'drained' | 'handed_off' | 'dropped' | 'stale';

/** Pure: what a failed POST says, for the sink's lastError (no body of the answer, no header). */
export function failureMessage(result: { status: number }): string {
  return result.status === 0 ? 'no answer (unreachable, refused or timed out)' : `answered HTTP ${result.status}`;
}

/**
 * One sink chain: the events of one installation bound for one sink, in order. An event is popped
 * only once the sink took it (any 2xx), so a failure retries that same event (BullMQ backoff) and
 * nothing behind it overtakes it: at least once, in order. An event that exhausts its attempts is
 * dead-lettered (kept in the sink's list, counted) so the chain is not blocked for good. The same
 * machinery as subscriptions' drains (DrainState), under the sinks' own keys.
 */
/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'log' | 'metrics' | 'now'> & { webServices: WebServices };

export function sinkDeliveryProcessor(services: Deps) {
  const { sinks, sinkDrains: drains, sinkDeliveries } = services.webServices;
  const timeoutMs = services.config.httpTimeoutMs;
  const allowPrivate = services.config.webServices.allowPrivateTargets;

  return async (job: Job<SinkJob>): Promise<SinkDeliveryOutcome> => {
    const parsed = sinkJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed sink delivery job');
    const { sinkId, chain, generation } = parsed.data;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if ((await drains.generation(sinkId, chain)) !== generation) return 'stale';

    const handOff = async (): Promise<SinkDeliveryOutcome> => {
      const next = await drains.handoff(sinkId, chain, generation);
      if (next !== undefined) await sinkDeliveries.drain(sinkId, chain, next);
      return 'handed_off';
    };

    for (;;) {
      const current = await sinks.withSecret(sinkId);
      if (!current) {
        await drains.discard(sinkId, chain);
        return 'dropped';
      }
      const raw = await drains.head(sinkId, chain);
      if (raw === undefined) {
        if (await drains.releaseIfEmpty(sinkId, chain, generation)) return 'drained';
        continue;
      }
      const message = parseQueued(raw);
      if (!message) {
        await drains.pop(sinkId, chain); // not ours to send: nothing can ever deliver it
        continue;
      }
      const headers = standardHeaders(current.secret, message.id, message.body, services.now());
      const result = await postJson(current.sink.url, message.body, headers, timeoutMs, allowPrivate);
      services.metrics.sinkDeliveries.inc({ outcome: postOutcome(result) });
      if (result.ok) {
        const at = sinkEventTime(message.body);
        if (at !== undefined) services.metrics.eventDeliveryLag.observe(Math.max(0, services.now() - at) / 1000);
        await drains.pop(sinkId, chain);
        await sinks.recordDelivered(sinkId);
        // A retried job has spent attempts on an earlier event; the rest get a fresh budget.
        if (job.attemptsMade > 0) return handOff();
        continue;
      }
      await sinks.recordFailed(sinkId, failureMessage(result), new Date(services.now()), lastAttempt);
      if (!lastAttempt) throw new Error(`event sink ${failureMessage(result)}`);
      services.log.warn({ sinkId, status: result.status }, 'event dead-lettered after its attempts');
      services.metrics.sinkDeliveries.inc({ outcome: 'dead_lettered' });
      await drains.moveHeadToFailed(sinkId, chain);
      return handOff();
    }
  };
}

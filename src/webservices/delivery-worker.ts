import { UnrecoverableError, type Job } from 'bullmq';
import type { Services } from '../services';
import { deliveryJobSchema, type DeliveryJob } from './delivery-queue';
import { SIGNATURE_HEADER, signBody } from './signature';

export type DeliveryOutcome = 'delivered' | 'drained' | 'handed_off' | 'dropped' | 'stale';

/** One signed POST. Only a 2xx counts; redirects are not followed (a target must answer itself). */
export async function postSigned(targetUrl: string, body: string, secret: string, timeoutMs: number): Promise<{ ok: boolean; status: number }> {
  try {
    const res = await fetch(targetUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(secret, body), 'user-agent': 'service-manager/0.1' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    return { ok: res.status >= 200 && res.status < 300, status: res.status };
  } catch {
    return { ok: false, status: 0 };
  }
}

class TargetFailed extends Error {
  constructor(status: number) {
    super(status === 0 ? 'target unreachable' : `target answered ${status}`);
    this.name = 'TargetFailed';
  }
}

/**
 * Delivery jobs. Lifecycle jobs are one POST, retried with backoff. A drain job delivers the queue
 * of one (subscription, device) in order: it only pops an event once the target took it, so a
 * failure retries the same event and nothing behind it overtakes it. An event that exhausts its
 * attempts is set aside (kept in the subscription's failed list) so the device is not blocked for good.
 */
export function deliveryProcessor(services: Services) {
  const { subscriptions, drains, deliveries } = services.webServices;
  const timeoutMs = services.config.httpTimeoutMs;

  return async (job: Job<DeliveryJob>): Promise<DeliveryOutcome> => {
    const parsed = deliveryJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed delivery job');
    const data = parsed.data;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

    if (data.kind === 'lifecycle') {
      if (data.requireSubscription && !(await subscriptions.get(data.subscriptionId))) return 'dropped';
      const secret = subscriptions.unseal(data.subscriptionId, data.sealedSecret);
      const result = await postSigned(data.targetUrl, data.body, secret, timeoutMs);
      if (!result.ok) throw new TargetFailed(result.status);
      return 'delivered';
    }

    const { subscriptionId, deviceId, generation } = data;
    if ((await drains.generation(subscriptionId, deviceId)) !== generation) return 'stale';
    for (;;) {
      const current = await subscriptions.withSecret(subscriptionId);
      if (!current || current.subscription.status !== 'confirmed') {
        await drains.discard(subscriptionId, deviceId);
        return 'dropped';
      }
      const body = await drains.head(subscriptionId, deviceId);
      if (body === undefined) {
        if (await drains.releaseIfEmpty(subscriptionId, deviceId, generation)) return 'drained';
        continue;
      }
      const result = await postSigned(current.subscription.targetUrl, body, current.secret, timeoutMs);
      if (result.ok) {
        await drains.pop(subscriptionId, deviceId);
        // A retried job has spent attempts on an earlier event; the rest get a fresh budget.
        if (job.attemptsMade > 0) return handOff();
        continue;
      }
      if (!lastAttempt) throw new TargetFailed(result.status);
      services.log.warn({ subscriptionId, deviceId, status: result.status }, 'event delivery gave up after its attempts');
      await drains.moveHeadToFailed(subscriptionId, deviceId);
      return handOff();
    }

    async function handOff(): Promise<DeliveryOutcome> {
      const next = await drains.handoff(subscriptionId, deviceId, generation);
      if (next !== undefined) await deliveries.drain(subscriptionId, deviceId, next);
      return 'handed_off';
    }
  };
}

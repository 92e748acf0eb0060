import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { UnrecoverableError, type Job } from 'bullmq';
import { deliveryJobSchema, type DeliveryJob } from './delivery-queue';
import { confirmationBody, confirmationUrl, eventTimeOf } from './delivery-payloads';
import { SIGNATURE_HEADER, signBody } from './signature';
import { isPublicAddress, publicOnlyLookup, refuseNonPublicPeer, targetHost } from './target-guard';
import type { Base } from '../runtime';
import type { WebServices } from './web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'log' | 'metrics' | 'now'> & { webServices: WebServices };

export type DeliveryOutcome = 'delivered' | 'drained' | 'handed_off' | 'dropped' | 'stale';

/**
 * One signed POST. Only a 2xx counts; redirects are not followed (a target must answer itself).
 * Unless private targets are allowed, the connection is only made to a public address: an IP
 * literal is judged first (no lookup happens for one), a name resolves only to its public answers,
 * and the peer of the connected socket is judged again before anything is written (DNS rebinding,
 * or whatever else put a socket somewhere else). Guarded requests never share pooled sockets.
 */
export function postSigned(
  targetUrl: string,
  body: string,
  secret: string,
  timeoutMs: number,
  allowPrivate = false,
): Promise<{ ok: boolean; status: number }> {
  return postJson(targetUrl, body, { [SIGNATURE_HEADER]: signBody(secret, body) }, timeoutMs, allowPrivate);
}

/** postSigned with the signature headers the caller made (event sinks sign by Standard Webhooks). */
export function postJson(
  targetUrl: string,
  body: string,
  signatureHeaders: Record<string, string>,
  timeoutMs: number,
  allowPrivate = false,
): Promise<{ ok: boolean; status: number }> {
  const failed = { ok: false, status: 0 };
  let url: URL;
  try {
    url = new URL(targetUrl);
  } catch {
    return Promise.resolve(failed);
  }
  const host = targetHost(url);
  if (!allowPrivate && isIP(host) && !isPublicAddress(host)) return Promise.resolve(failed);
  const payload = Buffer.from(body, 'utf8');
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (!send) return Promise.resolve(failed);
  return new Promise((resolve) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(payload.length),
          ...signatureHeaders,
          'user-agent': 'service-manager/0.1',
        },
        timeout: timeoutMs,
        // agent: false = a fresh socket per POST, so a socket opened under other rules is never reused.
        ...(allowPrivate ? {} : { lookup: publicOnlyLookup, agent: false }),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume(); // the answer's body is not read, only drained
        resolve({ ok: status >= 200 && status < 300, status });
      },
    );
    if (!allowPrivate) refuseNonPublicPeer(req, () => resolve(failed));
    // One overall deadline, as AbortSignal.timeout gave: idle sockets and slow answers alike.
    const deadline = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs).unref();
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(failed));
    req.on('close', () => {
      clearTimeout(deadline);
      resolve(failed); // no-op when already answered
    });
    req.end(payload);
  });
}

/** Pure: a POST's result as a bounded metric label. */
export function postOutcome(result: { ok: boolean; status: number }): string {
  if (result.ok) return 'delivered';
  if (result.status === 0) return 'unreachable';
  return result.status >= 500 ? 'http_5xx' : result.status >= 400 ? 'http_4xx' : 'http_other';
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
export function deliveryProcessor(services: Deps) {
  const { subscriptions, drains, deliveries } = services.webServices;
  const timeoutMs = services.config.httpTimeoutMs;
  const allowPrivate = services.config.webServices.allowPrivateTargets;
  const posted = (kind: 'lifecycle' | 'event', result: { ok: boolean; status: number }) =>
    services.metrics.subscriptionPosts.inc({ kind, outcome: postOutcome(result) });

  return async (job: Job<DeliveryJob>): Promise<DeliveryOutcome> => {
    const parsed = deliveryJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed delivery job');
    const data = parsed.data;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

    if (data.kind === 'confirmation') {
      // Pointless once the subscription is gone; its secret and token exist only while it does.
      const current = await subscriptions.withSecret(data.subscriptionId);
      if (!current) return 'dropped';
      const token = subscriptions.confirmationToken(data.subscriptionId);
      const body = confirmationBody(current.subscription.appId, confirmationUrl(services.config.publicUrl, data.subscriptionId, token));
      const result = await postSigned(current.subscription.targetUrl, body, current.secret, timeoutMs, allowPrivate);
      posted('lifecycle', result);
      if (!result.ok) throw new TargetFailed(result.status);
      return 'delivered';
    }

    if (data.kind === 'lifecycle') {
      if (data.requireSubscription && !(await subscriptions.get(data.subscriptionId))) return 'dropped';
      const secret = subscriptions.unseal(data.subscriptionId, data.sealedSecret);
      const result = await postSigned(data.targetUrl, data.body, secret, timeoutMs, allowPrivate);
      posted('lifecycle', result);
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
      const result = await postSigned(current.subscription.targetUrl, body, current.secret, timeoutMs, allowPrivate);
      posted('event', result);
      if (result.ok) {
        const at = eventTimeOf(body);
        if (at !== undefined) services.metrics.eventDeliveryLag.observe(Math.max(0, services.now() - at) / 1000);
        await drains.pop(subscriptionId, deviceId);
        // A retried job has spent attempts on an earlier event; the rest get a fresh budget.
        if (job.attemptsMade > 0) return handOff();
        continue;
      }
      if (!lastAttempt) throw new TargetFailed(result.status);
      services.log.warn({ subscriptionId, deviceId, status: result.status }, 'event delivery gave up after its attempts');
      services.metrics.subscriptionPosts.inc({ kind: 'event', outcome: 'gave_up' });
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

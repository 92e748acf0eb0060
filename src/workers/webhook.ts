import { randomUUID } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import type { WebhookEffect } from '../connectors/context';
import { webhookJobSchema, type WebhookJob } from '../queues/webhook-queue';
import type { Services } from '../services';
import { applySnapshot } from '../sync/sync-installation';
import { withSyncLock } from '../sync/with-sync-lock';
import { claim, release } from '../webhooks/dedup';
import { FailedWebhooks } from '../webhooks/failed-store';
import { pushTargets } from '../webhooks/subscriptions';

export const DEFAULT_DEDUP_WINDOW_MS = 10 * 60 * 1000;
export const DEFAULT_REFRESH_DEBOUNCE_MS = 5_000;

export type WebhookOutcome = 'applied' | 'duplicate' | 'skipped';

async function applyEffect(services: Services, installationId: string, effect: WebhookEffect): Promise<void> {
  switch (effect.kind) {
    case 'patch':
      await withSyncLock(services, installationId, async () => {
        const selected = await services.devices.selected(installationId);
        await applySnapshot(services, installationId, effect.devices, false, selected);
      });
      return;
    case 'removed':
      await withSyncLock(services, installationId, async () => {
        const current = await services.devices.byExternalId(installationId);
        const gone = effect.externalIds.flatMap((id) => current.get(id) ?? []);
        if (gone.length) await services.devices.apply(installationId, { add: [], remove: gone, rename: [], update: [] });
      });
      return;
    case 'refresh':
      await services.scheduler.pollNow(installationId, 'webhook', effect.debounceMs ?? DEFAULT_REFRESH_DEBOUNCE_MS);
      return;
    case 'activation':
      await services.redis.hset(services.keys.installation(installationId), 'webhookActivatedAt', new Date(services.now()).toISOString());
      return;
  }
}

/**
 * Processes one acknowledged callback: parse with the connector (unparseable → kept in the failed
 * set, never retried), drop duplicates within the window, apply the effects to every installation
 * the push is for, through the same reconciliation as polls.
 */
export function webhookProcessor(services: Services) {
  const failed = new FailedWebhooks(services.redis, services.keys);
  return async (job: Job<WebhookJob>): Promise<WebhookOutcome> => {
    const data = webhookJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError('malformed webhook job');
    const { installationId, body, receivedAt } = data.data;
    const installation = await services.installations.get(installationId);
    if (!installation) return 'skipped';
    const webhook = services.connectors.get(installation.connector)?.definition.webhook;
    if (!webhook) return 'skipped';
    const log = services.log.child({ jobId: job.id, installationId, connector: installation.connector });

    let parsed;
    try {
      parsed = webhook.parse(JSON.parse(body) as unknown);
    } catch (err) {
      const reason = (err as Error).message.slice(0, 200);
      await failed.record(installationId, {
        receivedAt: new Date(receivedAt).toISOString(),
        failedAt: new Date(services.now()).toISOString(),
        reason,
        body,
      });
      log.warn({ reason }, 'webhook payload could not be parsed; kept in the failed set');
      throw new UnrecoverableError(`unparseable payload: ${reason}`);
    }

    const dedupKey = parsed.dedupKey;
    const dedupSet = services.keys.webhookDedup(installationId);
    // The job id is the same on every retry of this delivery, so a claim it left behind (killed
    // worker, Redis gone before release) is recognised as its own and not as a duplicate.
    const owner = job.id ?? randomUUID();
    if (dedupKey !== undefined) {
      const fresh = await claim(services.redis, dedupSet, dedupKey, services.now(), webhook.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS, owner);
      if (!fresh) {
        log.info('duplicate webhook ignored');
        return 'duplicate';
      }
    }
    try {
      for (const target of await pushTargets(services, installation)) {
        const t = target === installation.id ? installation : await services.installations.get(target);
        if (!t || t.status !== 'linked') continue;
        for (const effect of parsed.effects) await applyEffect(services, target, effect);
      }
    } catch (err) {
      if (dedupKey !== undefined) await release(services.redis, dedupSet, dedupKey, owner).catch(() => undefined);
      throw err;
    }
    return 'applied';
  };
}

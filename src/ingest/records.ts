import type { Base } from '../runtime';
import { BatchLedger, forgetDedup } from './batch-ledger';
import { FailedWebhooks } from './failed-store';
import { WebhookRecords } from './webhook-records';

/** ingest's repositories, built from the shared connection: routes and workers use these, never the client. */
export function ingestRecords(services: Pick<Base, 'redis' | 'keys'>) {
  return {
    webhooks: new WebhookRecords(services.redis, services.keys),
    failed: new FailedWebhooks(services.redis, services.keys),
    batch: (jobKey: string) => new BatchLedger(services.redis, services.keys, jobKey),
    /** Uninstall: what is left of the installation's failed webhooks, drop counters and dedup window. */
    forgetInstallation: async (installationId: string): Promise<void> => {
      await new FailedWebhooks(services.redis, services.keys).forget(installationId);
      await new WebhookRecords(services.redis, services.keys).forgetStats(installationId);
      await forgetDedup(services.redis, services.keys, installationId);
    },
  };
}

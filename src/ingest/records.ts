import type { Services } from '../runtime';
import { BatchLedger } from './batch-ledger';
import { FailedWebhooks } from './failed-store';
import { WebhookRecords } from './webhook-records';

/** ingest's repositories, built from the shared connection: routes and workers use these, never the client. */
export function ingestRecords(services: Pick<Services, 'redis' | 'keys'>) {
  return {
    webhooks: new WebhookRecords(services.redis, services.keys),
    failed: new FailedWebhooks(services.redis, services.keys),
    batch: (jobKey: string) => new BatchLedger(services.redis, services.keys, jobKey),
  };
}

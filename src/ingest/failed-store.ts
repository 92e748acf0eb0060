import type { Redis } from 'ioredis';
import type { Keys } from '../runtime';
import { failedKeys, type FailedKeys } from './failed-keys';

export interface FailedWebhook {
  receivedAt: string;
  failedAt: string;
  reason: string;
  /** The payload as received (truncated to 64 KiB), so an operator can see what could not be parsed. */
  body: string;
}

const KEEP = 200;
const MAX_BODY = 64 * 1024;

/** Payloads a connector could not parse: kept for the operator, never silently dropped. */
export class FailedWebhooks {
  private readonly keys: FailedKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = failedKeys(keySpace);
  }

  async record(installationId: string, entry: FailedWebhook): Promise<void> {
    const key = this.keys.webhookFailed(installationId);
    const tx = this.redis
      .multi()
      .lpush(key, JSON.stringify({ ...entry, body: entry.body.slice(0, MAX_BODY) }))
      .ltrim(key, 0, KEEP - 1);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (failed) throw failed;
  }

  async list(installationId: string): Promise<FailedWebhook[]> {
    const raw = await this.redis.lrange(this.keys.webhookFailed(installationId), 0, KEEP - 1);
    return raw.map((r) => JSON.parse(r) as FailedWebhook);
  }

  /** Uninstall: the installation's failed webhooks. */
  async forget(installationId: string): Promise<void> {
    await this.redis.del(this.keys.webhookFailed(installationId));
  }
}

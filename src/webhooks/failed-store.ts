import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys';

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
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async record(installationId: string, entry: FailedWebhook): Promise<void> {
    const key = this.keys.webhookFailed(installationId);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify({ ...entry, body: entry.body.slice(0, MAX_BODY) }))
      .ltrim(key, 0, KEEP - 1)
      .exec();
  }

  async list(installationId: string): Promise<FailedWebhook[]> {
    const raw = await this.redis.lrange(this.keys.webhookFailed(installationId), 0, KEEP - 1);
    return raw.map((r) => JSON.parse(r) as FailedWebhook);
  }
}

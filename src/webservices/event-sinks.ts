import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { migrateDrainKeys } from './drain-state';
import { z } from 'zod';
import { getMany } from '../runtime';
import { readSealed, replaceSealedJson } from './sealed-json';
import type { Keys, SealedFamily, SealedRecord, SecretKeyring } from '../runtime';
import { EVENT_TYPES, type EventType } from '../platform';
import { sinkKeys, type SinkKeys } from './sink-keys';
import { newSigningSecret } from './standard-webhooks';

export interface EventSink {
  id: string;
  url: string;
  /** Event types delivered; null: every type. */
  types: EventType[] | null;
  /** Connectors whose installations' events are delivered; null: every connector. */
  connectors: string[] | null;
  createdAt: string;
}

export interface SinkStats {
  delivered: number;
  /** Attempts that failed (each retry counts). */
  failed: number;
  /** Events that exhausted their attempts and were set aside. */
  deadLettered: number;
  lastError: { message: string; at: string } | null;
}

const storedSchema = z.object({
  id: z.string(),
  url: z.string(),
  types: z.array(z.enum(EVENT_TYPES)).nullable(),
  connectors: z.array(z.string()).nullable(),
  createdAt: z.string(),
  sealedSecret: z.string(),
});
type Stored = z.infer<typeof storedSchema>;

const view = ({ sealedSecret: _omit, ...sink }: Stored): EventSink => sink;


/**
 * One delivery chain per (sink, installation): events of an installation reach a sink in order.
 * Named by a digest, not the id, so no key names an uninstalled installation while its last events
 * (its removal, its uninstall) are still on their way.
 */
export function chainOf(installationId: string): string {
  return createHash('sha256').update(installationId).digest('base64url').slice(0, 22);
}

/**
 * Event sinks the platform registered: where to push events, which ones, and the Standard Webhooks
 * secret to sign them with. The secret must be usable to sign, so it is sealed with the first of SECRET_KEYS
 * (AES-GCM, bound to the sink id), never hashed, and shown once, at creation.
 */
export class SinkStore implements SealedFamily {
  /** Also the keys of the sinks' delivery chains, which their DrainState works. */
  readonly keys: SinkKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly secretKeys: SecretKeyring,
  ) {
    this.keys = sinkKeys(keySpace.prefix);
  }

  async create(input: { url: string; types: EventType[] | null; connectors: string[] | null }, now: Date): Promise<{ sink: EventSink; secret: string }> {
    const id = randomUUID();
    const secret = newSigningSecret();
    const stored: Stored = { id, ...input, createdAt: now.toISOString(), sealedSecret: this.secretKeys.seal(secret, `sink:${id}`) };
    // The list entry first, then the record (two slots on a Cluster): a crash leaves at most an
    // entry without a record, which readers skip.
    await this.redis.sadd(this.keys.all(), id);
    await this.redis.set(this.keys.sink(id), JSON.stringify(stored));
    return { sink: view(stored), secret };
  }

  private async stored(id: string): Promise<Stored | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const raw = await this.redis.get(this.keys.sink(id));
    return raw ? storedSchema.parse(JSON.parse(raw)) : undefined;
  }

  async get(id: string): Promise<EventSink | undefined> {
    const s = await this.stored(id);
    return s && view(s);
  }

  async withSecret(id: string): Promise<{ sink: EventSink; secret: string } | undefined> {
    const s = await this.stored(id);
    return s && { sink: view(s), secret: this.secretKeys.open(s.sealedSecret, `sink:${id}`) };
  }

  async list(): Promise<EventSink[]> {
    const ids = await this.redis.smembers(this.keys.all());
    if (ids.length === 0) return [];
    const raws = await getMany(this.redis, ids.map((id) => this.keys.sink(id)));
    return raws
      .flatMap((raw) => (raw ? [view(storedSchema.parse(JSON.parse(raw)))] : []))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /**
   * One batch of sinks for a rekey: the sealed signing secret of each, bound to `sink:<id>`. The ids
   * sit in one set, so SSCAN walks them (a sink created meanwhile is sealed under the new key anyway).
   */
  async scanSealed(cursor: string, count: number): Promise<{ cursor: string; records: SealedRecord[] }> {
    const [next, ids] = await this.redis.sscan(this.keys.all(), cursor, 'COUNT', count);
    const sealedOf = (record: unknown) => storedSchema.safeParse(record).data?.sealedSecret;
    return { cursor: next, records: await readSealed(this.redis, ids, (id) => this.keys.sink(id), sealedOf, (id) => `sink:${id}`) };
  }

  /** Swaps a sealed secret only if the record is unchanged since the scan (deleted meanwhile: skipped). */
  async replaceSealed(updates: readonly { record: SealedRecord; sealed: string }[]): Promise<boolean[]> {
    return replaceSealedJson(this.redis, updates, (record) => this.keys.sink(record.id.slice('sink:'.length)));
  }

  async stats(id: string): Promise<SinkStats> {
    const [h, dead] = await Promise.all([this.redis.hgetall(this.keys.stats(id)), this.redis.llen(this.keys.deliveryFailed(id))]);
    const n = (v: string | undefined) => Number(v ?? 0) || 0;
    return {
      delivered: n(h['delivered']),
      failed: n(h['failed']),
      // The dead-letter list is capped; the counter is not.
      deadLettered: Math.max(n(h['deadLettered']), dead),
      lastError: h['lastError'] && h['lastErrorAt'] ? { message: h['lastError'], at: h['lastErrorAt'] } : null,
    };
  }

  /** The newest dead-lettered messages first: the webhook-id and the body that was POSTed. */
  async deadLetters(id: string, limit = 100): Promise<{ id: string; body: unknown }[]> {
    const raws = await this.redis.lrange(this.keys.deliveryFailed(id), 0, limit - 1);
    return raws.flatMap((raw) => {
      try {
        const { id: messageId, body } = JSON.parse(raw) as { id?: unknown; body?: unknown };
        return typeof messageId === 'string' && typeof body === 'string' ? [{ id: messageId, body: JSON.parse(body) as unknown }] : [];
      } catch {
        return []; // not a message we queued: nothing to show
      }
    });
  }

  async recordDelivered(id: string): Promise<void> {
    await this.redis.hincrby(this.keys.stats(id), 'delivered', 1);
  }

  async recordFailed(id: string, message: string, at: Date, deadLettered: boolean): Promise<void> {
    const m = this.redis.multi().hincrby(this.keys.stats(id), 'failed', 1).hset(this.keys.stats(id), 'lastError', message, 'lastErrorAt', at.toISOString());
    if (deadLettered) m.hincrby(this.keys.stats(id), 'deadLettered', 1);
    await m.exec();
  }

  /** Removes the sink, what was waiting for it and its counters; a running drain finds it gone and stops. */
  async delete(id: string): Promise<boolean> {
    const removed = await this.redis.del(this.keys.sink(id));
    await this.redis.srem(this.keys.all(), id);
    const members = (await this.redis.smembers(this.keys.activeDrains())).filter((m) => m.startsWith(`${id}|`));
    for (const member of members) {
      const chain = member.slice(id.length + 1);
      // One DEL per key: on a Cluster they are in different slots.
      await Promise.all([this.redis.del(this.keys.deliveryList(id, chain)), this.redis.del(this.keys.deliveryMarker(id, chain))]);
      await this.redis.srem(this.keys.activeDrains(), member);
    }
    await Promise.all([this.redis.del(this.keys.deliveryFailed(id)), this.redis.del(this.keys.stats(id))]);
    return removed === 1;
  }
}

/** Layout 1 → 2: the event sinks' delivery state under its hash tag (runtime/redis/layout.ts runs it). */
export function migrateSinkDrains(redis: Redis, prefix: string): Promise<number> {
  return migrateDrainKeys(redis, sinkKeys(prefix));
}

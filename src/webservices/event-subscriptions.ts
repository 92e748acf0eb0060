import { randomUUID } from 'node:crypto';
import { constantTimeEqual, hmacSha256, hmacSha256Bytes, loadPage, randomToken, scanKeys, SortedIndex, tokenMatchesHash } from '../runtime';
import type { Page } from '../runtime';
import type { Redis } from 'ioredis';
import { migrateDrainKeys } from './drain-state';
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../platform';
import type { Keys, SealedFamily, SealedRecord, SecretKeyring } from '../runtime';
import { COMPARE_AND_SET, readSealed, replaceSealedJson } from './sealed-json';
import { subscriptionKeys, type SubscriptionKeys } from './subscription-keys';

/** Events an external system may subscribe to: those about devices, the only thing it was granted. */
export const SUBSCRIBABLE_EVENTS = EVENT_TYPES.filter((t) => t.startsWith('device.')) as EventType[];

export interface Subscription {
  id: string;
  appId: string;
  targetUrl: string;
  events: EventType[];
  /** `pending` until the target fetched its confirmationUrl; nothing but CONFIRMATION is sent before. */
  status: 'pending' | 'confirmed';
  createdAt: string;
  confirmedAt: string | undefined;
}

const storedSchema = z.object({
  id: z.string(),
  appId: z.string(),
  targetUrl: z.string(),
  events: z.array(z.enum(EVENT_TYPES)),
  status: z.enum(['pending', 'confirmed']),
  createdAt: z.string(),
  confirmedAt: z.string().optional(),
  sealedSecret: z.string(),
  /** Only on subscriptions made before confirmation tokens were derived: the digest of the random one sent. */
  confirmHash: z.string().optional(),
});
type Stored = z.infer<typeof storedSchema>;

function view(s: Stored): Subscription {
  return { id: s.id, appId: s.appId, targetUrl: s.targetUrl, events: s.events, status: s.status, createdAt: s.createdAt, confirmedAt: s.confirmedAt };
}

/** Pure: the key confirmation tokens are derived under; a label keeps it apart from SECRET_KEY's other uses. */
export function confirmationKey(secretKey: Buffer): Buffer {
  return hmacSha256Bytes(secretKey, 'subscription-confirmation-token\0v1');
}

/**
 * Event subscriptions of app installations. The signing secret must be usable to sign, so it is
 * sealed with SECRET_KEY (AES-GCM, bound to the subscription id) rather than hashed. The
 * confirmation token is never stored anywhere, job data included: it is an HMAC of the subscription
 * id under a key derived from SECRET_KEY, computed when the CONFIRMATION is sent and when the link
 * is followed.
 */
export class SubscriptionStore implements SealedFamily {
  private readonly confirmKey: Buffer;
  private readonly index: SortedIndex;

  private readonly keys: SubscriptionKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly secretKeys: SecretKeyring,
  ) {
    this.keys = subscriptionKeys(keySpace.prefix);
    this.confirmKey = confirmationKey(secretKeys.primaryKey);
    this.index = new SortedIndex(redis, this.keys.subscriptionsIndex());
  }

  /** Every app's subscriptions, one page in creation order (the admin's view). */
  async page(cursor: string | undefined, limit: number): Promise<Page<Subscription>> {
    await this.index.backfillOnce(
      this.keys.subscriptionsIndexBackfilled(),
      this.keys.subscriptionPattern(),
      (key) => /:ws:sub:([0-9a-f-]{36})$/.exec(key)?.[1],
      async (id) => (await this.get(id))?.createdAt,
    );
    return loadPage(await this.index.page(cursor, limit), (id) => this.get(id));
  }

  /** The token of the subscription's confirmationUrl (256 bits, base64url). */
  confirmationToken(subscriptionId: string): string {
    return hmacSha256(this.confirmKey, subscriptionId);
  }

  async create(
    input: { appId: string; targetUrl: string; events: EventType[] },
    now: Date,
  ): Promise<{ subscription: Subscription; secret: string }> {
    const id = randomUUID();
    const secret = randomToken();
    const sealedSecret = this.sealSecret(id, secret);
    const stored: Stored = { id, ...input, status: 'pending', createdAt: now.toISOString(), sealedSecret };
    // The index entries first, then the record (keys of different slots on a Cluster, no
    // transaction): a crash leaves at most entries without a record, which readers skip.
    await Promise.all([this.redis.sadd(this.keys.appSubscriptions(input.appId), id), this.index.add(this.redis.pipeline(), stored.createdAt, id).exec()]);
    await this.redis.set(this.keys.subscription(id), JSON.stringify(stored));
    return { subscription: view(stored), secret };
  }

  private async stored(id: string): Promise<Stored | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const raw = await this.redis.get(this.keys.subscription(id));
    return raw ? storedSchema.parse(JSON.parse(raw)) : undefined;
  }

  async get(id: string): Promise<Subscription | undefined> {
    const s = await this.stored(id);
    return s && view(s);
  }

  /** The subscription and its signing secret, for the delivery worker. */
  async withSecret(id: string): Promise<{ subscription: Subscription; secret: string } | undefined> {
    const s = await this.stored(id);
    return s && { subscription: view(s), secret: this.unseal(id, s.sealedSecret) };
  }

  /** The signing secret sealed under the first key, bound to the subscription (also for job data). */
  sealSecret(subscriptionId: string, secret: string): string {
    return this.secretKeys.seal(secret, subscriptionId);
  }

  unseal(subscriptionId: string, sealed: string): string {
    return this.secretKeys.open(sealed, subscriptionId);
  }

  async listForApp(appId: string): Promise<Subscription[]> {
    const ids = await this.redis.smembers(this.keys.appSubscriptions(appId));
    const subs = await Promise.all(ids.map((id) => this.get(id)));
    return subs.filter((s): s is Subscription => s !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Idempotent: a confirmed subscription stays confirmed. False for a wrong token or unknown id. */
  async confirm(id: string, token: string, now: Date): Promise<Subscription | undefined> {
    // Compare-and-set on the record as read, so a rekey swapping the sealed secret meanwhile is
    // not undone by this write (nor this one lost): on a race, read again.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
      const raw = await this.redis.get(this.keys.subscription(id));
      if (!raw) return undefined;
      const s = storedSchema.parse(JSON.parse(raw));
      const derived = constantTimeEqual(token, this.confirmationToken(id));
      // A CONFIRMATION queued before the upgrade carries the random token whose digest was kept.
      const legacy = s.confirmHash !== undefined && tokenMatchesHash(token, s.confirmHash);
      if (!derived && !legacy) return undefined;
      if (s.status === 'confirmed') return view(s);
      const next = { ...(JSON.parse(raw) as Record<string, unknown>), status: 'confirmed', confirmedAt: now.toISOString() };
      const ok = await this.redis.eval(COMPARE_AND_SET, 1, this.keys.subscription(id), raw, JSON.stringify(next));
      if (ok === 1) return view({ ...s, status: 'confirmed', confirmedAt: now.toISOString() });
    }
    return undefined;
  }

  /** One SCAN batch of subscriptions, for a rekey: the sealed signing secret inside each record. */
  async scanSealed(cursor: string, count: number): Promise<{ cursor: string; records: SealedRecord[] }> {
    const [next, keys] = await scanKeys(this.redis, cursor, this.keys.subscription('*'), count);
    const head = this.keys.subscription('');
    // The same pattern matches a subscription's delivery lists and markers; only the records hold a secret.
    const ids = keys.map((k) => k.slice(head.length)).filter((id) => /^[0-9a-f-]{36}$/.test(id));
    const sealedOf = (record: unknown) => storedSchema.safeParse(record).data?.sealedSecret;
    return { cursor: next, records: await readSealed(this.redis, ids, (id) => this.keys.subscription(id), sealedOf, (id) => id) };
  }

  /** Swaps the sealed secret only if the record is unchanged since the scan (confirmed meanwhile: skipped). */
  async replaceSealed(updates: readonly { record: SealedRecord; sealed: string }[]): Promise<boolean[]> {
    return replaceSealedJson(this.redis, updates, (record) => this.keys.subscription(record.id));
  }


  /** Removes the subscription and whatever was waiting to be delivered to it; in-flight drains see it gone and stop. */
  async delete(sub: Subscription): Promise<boolean> {
    // The record first (drains see it gone), then its index entries.
    const removed = await this.redis.del(this.keys.subscription(sub.id));
    await Promise.all([this.redis.srem(this.keys.appSubscriptions(sub.appId), sub.id), this.index.remove(this.redis.pipeline(), sub.createdAt, sub.id).exec()]);
    const members = (await this.redis.smembers(this.keys.activeDrains())).filter((m) => m.startsWith(`${sub.id}|`));
    for (const member of members) {
      const deviceId = member.slice(sub.id.length + 1);
      // One DEL per key: on a Cluster they are in different slots.
      await Promise.all([this.redis.del(this.keys.deliveryList(sub.id, deviceId)), this.redis.del(this.keys.deliveryMarker(sub.id, deviceId))]);
      await this.redis.srem(this.keys.activeDrains(), member);
    }
    await this.redis.del(this.keys.deliveryFailed(sub.id));
    return removed === 1;
  }
}

/** Layout 1 → 2: the subscriptions' delivery state under its hash tag (runtime/redis/layout.ts runs it). */
export function migrateSubscriptionDrains(redis: Redis, prefix: string): Promise<number> {
  return migrateDrainKeys(redis, subscriptionKeys(prefix));
}

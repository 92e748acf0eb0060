import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../events/event-log';
import { constantTimeEqual, decrypt, encrypt, hashToken, randomToken } from '../secrets/crypto';
import type { WebServicesKeys } from '../store/keys';

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
  confirmHash: z.string(),
});
type Stored = z.infer<typeof storedSchema>;

function view(s: Stored): Subscription {
  return { id: s.id, appId: s.appId, targetUrl: s.targetUrl, events: s.events, status: s.status, createdAt: s.createdAt, confirmedAt: s.confirmedAt };
}

/**
 * Event subscriptions of app installations. The signing secret must be usable to sign, so it is
 * sealed with SECRET_KEY (AES-GCM, bound to the subscription id) rather than hashed; the
 * confirmation token only needs checking, so it is hashed.
 */
export class SubscriptionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: WebServicesKeys,
    private readonly secretKey: Buffer,
  ) {}

  async create(
    input: { appId: string; targetUrl: string; events: EventType[] },
    now: Date,
  ): Promise<{ subscription: Subscription; secret: string; sealedSecret: string; confirmationToken: string }> {
    const id = randomUUID();
    const secret = randomToken();
    const confirmationToken = randomToken();
    const sealedSecret = encrypt(this.secretKey, secret, id);
    const stored: Stored = {
      id,
      ...input,
      status: 'pending',
      createdAt: now.toISOString(),
      sealedSecret,
      confirmHash: hashToken(confirmationToken),
    };
    await this.redis.multi().set(this.keys.subscription(id), JSON.stringify(stored)).sadd(this.keys.appSubscriptions(input.appId), id).exec();
    return { subscription: view(stored), secret, sealedSecret, confirmationToken };
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

  unseal(subscriptionId: string, sealed: string): string {
    return decrypt(this.secretKey, sealed, subscriptionId);
  }

  async listForApp(appId: string): Promise<Subscription[]> {
    const ids = await this.redis.smembers(this.keys.appSubscriptions(appId));
    const subs = await Promise.all(ids.map((id) => this.get(id)));
    return subs.filter((s): s is Subscription => s !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Idempotent: a confirmed subscription stays confirmed. False for a wrong token or unknown id. */
  async confirm(id: string, token: string, now: Date): Promise<Subscription | undefined> {
    const s = await this.stored(id);
    if (!s || !constantTimeEqual(hashToken(token), s.confirmHash)) return undefined;
    if (s.status === 'confirmed') return view(s);
    const next: Stored = { ...s, status: 'confirmed', confirmedAt: now.toISOString() };
    const ok = await this.redis.set(this.keys.subscription(id), JSON.stringify(next), 'XX');
    return ok === 'OK' ? view(next) : undefined;
  }

  /** Removes the subscription and whatever was waiting to be delivered to it; in-flight drains see it gone and stop. */
  async delete(sub: Subscription): Promise<boolean> {
    const removed = await this.redis.del(this.keys.subscription(sub.id));
    await this.redis.srem(this.keys.appSubscriptions(sub.appId), sub.id);
    const members = (await this.redis.smembers(this.keys.activeDrains())).filter((m) => m.startsWith(`${sub.id}|`));
    for (const member of members) {
      const deviceId = member.slice(sub.id.length + 1);
      await this.redis.del(this.keys.deliveryList(sub.id, deviceId), this.keys.deliveryMarker(sub.id, deviceId));
      await this.redis.srem(this.keys.activeDrains(), member);
    }
    await this.redis.del(this.keys.deliveryFailed(sub.id));
    return removed === 1;
  }
}

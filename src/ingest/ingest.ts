import { AppError, constantTimeEqualBytes, isRedisUnavailable, withDeadline } from '../runtime';
import type { WebhookCallback } from './webhook-queue';
import { acceptsCallbackToken, CALLBACK_FIELDS, matchCallbackToken, recordFromFields } from './callback-token';
import { TickBatcher } from './tick-batcher';
import { WebhookRecords } from './webhook-records';
import type { Base } from '../runtime';
import type { Ingest } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'now' | 'redis'> &
  Pick<Ingest, 'callbackTokens' | 'missedDeliveries' | 'webhooks'>;

export const DEFAULT_WEBHOOK_LIMIT = 256 * 1024;
const DEFAULT_ACK = 202;
/** At most this many callbacks, or about this many bytes of bodies, in one job. */
const MAX_CALLBACKS_PER_JOB = 256;
const MAX_JOB_BYTES = 1024 * 1024;
/** Beyond this many job adds awaiting Redis, callbacks gather for the next one (group commit). */
const MAX_ADDS_IN_FLIGHT = 1;
const INSTALLATION_ID = /^[0-9a-f-]{36}$/;
const TOKEN = /^[A-Za-z0-9_-]{20,128}$/;

export interface IngestInput {
  connector: string;
  installationId: string;
  accessToken: string | undefined;
  rawBody: Buffer;
  headers: Readonly<Record<string, string | undefined>>;
}

export type IngestOutcome =
  | { kind: 'accepted'; status: number }
  | { kind: 'dropped'; status: number; reason: 'bad_signature' };

const unauthorized = () => new AppError('unauthorized', { message: 'Unknown installation or invalid callback token.' });

type Lookup = { fields: (string | null)[] } | { error: unknown };
const LOOKUP_FIELDS = ['connector', ...CALLBACK_FIELDS] as const;

/**
 * Authenticates, verifies, and durably enqueues callbacks. The success status is only returned
 * after the job is in Redis; processing happens later in a worker. Nothing that fails a check is
 * enqueued. On the happy path one Redis round trip (the enqueue) and, unless the token was accepted
 * in the last two seconds, one HMGET before it; each is shared with the other callbacks that
 * arrived in the same event-loop turn, and the callbacks of one turn are queued as one job per
 * partition, in that partition's queue (the worker applies each separately). Under load that is what keeps the cost per callback near a
 * bare endpoint's.
 */
export class WebhookIngester {
  private readonly lookups: TickBatcher<string, Lookup>;
  private readonly records: WebhookRecords;
  /** One batcher per partition, made on first use: a job holds callbacks of one partition (its queue's). */
  private readonly jobs = new Map<number, TickBatcher<WebhookCallback, true>>();

  constructor(private readonly services: Deps) {
    services.callbackTokens.listen();
    this.records = new WebhookRecords(services.redis, services.keys);
    this.lookups = new TickBatcher((ids) => this.records.lookupMany(ids, LOOKUP_FIELDS));
  }

  /**
   * The batcher of a partition's callbacks. One job per partition and turn: either all of them are
   * in Redis (and acknowledged) or none. Each partition has its own group commit (one add in
   * flight), so a slow or failing primary delays only the callbacks of its own partitions.
   */
  private jobsOf(k: number): TickBatcher<WebhookCallback, true> {
    let batcher = this.jobs.get(k);
    if (!batcher) {
      const { webhooks } = this.services;
      batcher = new TickBatcher(
        async (callbacks) => {
          await webhooks.enqueue(callbacks);
          return callbacks.map(() => true as const);
        },
        MAX_CALLBACKS_PER_JOB,
        { max: MAX_JOB_BYTES, weigh: (c) => c.body.length },
        MAX_ADDS_IN_FLIGHT,
      );
      this.jobs.set(k, batcher);
    }
    return batcher;
  }

  async ingest(input: IngestInput): Promise<IngestOutcome> {
    const { services } = this;
    const connector = services.connectors.get(input.connector);
    const webhook = connector?.definition.webhook;
    if (!connector || !webhook) throw new AppError('not_found', { message: 'This connector takes no callbacks.' });
    if (!INSTALLATION_ID.test(input.installationId) || !input.accessToken || !TOKEN.test(input.accessToken)) {
      throw unauthorized();
    }

    // A cached record may only say yes; a no is re-read from Redis (a rotation may just have happened).
    // The previous token's overlap is compared with its stored end on every callback, cached or not.
    const now = services.now();
    const records = services.callbackTokens;
    const cached = records.get(input.installationId);
    const cachedOk =
      cached !== undefined &&
      cached.connector === input.connector &&
      (sameToken(cached.accepted, input.accessToken) || acceptsCallbackToken(cached.record, input.accessToken, now));
    if (!cachedOk) {
      const ticket = records.ticket();
      const lookup = await this.lookups.submit(input.installationId).catch((error: unknown): Lookup => ({ error }));
      if ('error' in lookup) {
        // Not yet authenticated, but the id is well-formed: a catch-up poll of an unknown id is a no-op.
        if (isRedisUnavailable(lookup.error)) services.missedDeliveries.add(input.installationId);
        throw lookup.error;
      }
      const [owner = null, ...tokenFields] = lookup.fields;
      const fresh = { connector: owner, record: recordFromFields(tokenFields) };
      const matched = owner === input.connector ? matchCallbackToken(fresh.record, input.accessToken, services.now()) : undefined;
      if (!matched) {
        // The record just read is kept for this installation's real callbacks; an unknown id is not.
        if (owner === input.connector) records.set(input.installationId, fresh, ticket);
        else records.delete(input.installationId);
        throw unauthorized();
      }
      // Only the current token is remembered as such: a previous one must keep meeting its overlap's end.
      records.set(input.installationId, matched === 'current' ? { ...fresh, accepted: Buffer.from(input.accessToken, 'latin1') } : fresh, ticket);
    }

    let payloadText: string;
    try {
      payloadText = input.rawBody.toString('utf8');
      JSON.parse(payloadText);
    } catch {
      throw new AppError('invalid_json');
    }

    const ack = webhook.ackStatus ?? DEFAULT_ACK;
    if (webhook.verify && !webhook.verify({ rawBody: input.rawBody, headers: input.headers, clientSecret: connector.credentials.clientSecret })) {
      if (webhook.onBadSignature === 'acknowledge') {
        await this.records.countDroppedBadSignature(input.installationId).catch(() => undefined);
        services.log.warn({ connector: input.connector, installationId: input.installationId }, 'webhook dropped: bad signature');
        return { kind: 'dropped', status: ack, reason: 'bad_signature' };
      }
      throw new AppError('unauthorized', { message: 'The callback signature does not match.' });
    }

    try {
      // A payload that is not durable by the deadline is refused (503), never acknowledged. The add
      // may still land after we gave up: the cloud retries the refused callback, and the worker's
      // per-installation dedup applies the duplicate once.
      const queued = this.jobsOf(services.webhooks.partitionOf(input.installationId)).submit({
        installationId: input.installationId,
        connector: input.connector,
        body: payloadText,
        receivedAt: services.now(),
      });
      await withDeadline(queued, services.config.webhookEnqueueTimeoutMs, 'webhook enqueue');
    } catch (err) {
      if (isRedisUnavailable(err)) services.missedDeliveries.add(input.installationId);
      throw err;
    }
    if (services.missedDeliveries.size > 0) void services.missedDeliveries.flush();
    return { kind: 'accepted', status: ack };
  }
}

/** Constant time for tokens of the same length (the length of a token is not its secret). */
function sameToken(accepted: Buffer | undefined, presented: string): boolean {
  if (!accepted) return false;
  return constantTimeEqualBytes(accepted, Buffer.from(presented, 'latin1'));
}

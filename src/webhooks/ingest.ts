import { createHmac } from 'node:crypto';
import { AppError } from '../errors';
import type { Services } from '../services';
import { isRedisUnavailable } from '../store/redis';
import { acceptsCallbackToken, CALLBACK_FIELDS, recordFromFields } from './callback-token';

export const DEFAULT_WEBHOOK_LIMIT = 256 * 1024;
const DEFAULT_ACK = 202;
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

/**
 * Authenticate, verify, and durably enqueue one callback. The success status is only returned
 * after the job is in Redis; processing happens later in a worker. Nothing that fails a check is
 * enqueued. Two Redis round trips on the happy path: one HMGET, one enqueue.
 */
export async function ingestWebhook(services: Services, input: IngestInput): Promise<IngestOutcome> {
  const connector = services.connectors.get(input.connector);
  const webhook = connector?.definition.webhook;
  if (!connector || !webhook) throw new AppError('not_found', { message: 'This connector takes no callbacks.' });
  if (!INSTALLATION_ID.test(input.installationId) || !input.accessToken || !TOKEN.test(input.accessToken)) {
    throw unauthorized();
  }

  let owner: string | null;
  let tokenFields: (string | null)[];
  try {
    [owner = null, ...tokenFields] = await services.redis.hmget(
      services.keys.installation(input.installationId),
      'connector',
      ...CALLBACK_FIELDS,
    );
  } catch (err) {
    // Not yet authenticated, but the id is well-formed: a catch-up poll of an unknown id is a no-op.
    if (isRedisUnavailable(err)) services.missedDeliveries.add(input.installationId);
    throw err;
  }
  const record = recordFromFields(tokenFields);
  const tokenOk = acceptsCallbackToken(record, input.accessToken, services.now());
  if (owner !== input.connector || !tokenOk) throw unauthorized();

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
      await services.redis.hincrby(services.keys.webhookStats(input.installationId), 'droppedBadSignature', 1).catch(() => 0);
      services.log.warn({ connector: input.connector, installationId: input.installationId }, 'webhook dropped: bad signature');
      return { kind: 'dropped', status: ack, reason: 'bad_signature' };
    }
    throw new AppError('unauthorized', { message: 'The callback signature does not match.' });
  }

  try {
    await services.webhooks.enqueue({
      installationId: input.installationId,
      connector: input.connector,
      body: payloadText,
      receivedAt: services.now(),
    });
  } catch (err) {
    if (isRedisUnavailable(err)) services.missedDeliveries.add(input.installationId);
    throw err;
  }
  if (services.missedDeliveries.size > 0) void services.missedDeliveries.flush();
  return { kind: 'accepted', status: ack };
}

/** Lower-case hex HMAC-SHA256 of the raw body: the common shape of cloud webhook signatures. */
export function hmacSha256Hex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

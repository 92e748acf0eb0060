import { createHash } from 'node:crypto';
import type { Installation } from '../platform';
import type { ChainableCommander } from 'ioredis';
import { hashToken, randomToken, type PipelineReplies } from '../runtime';
import { connectorFor, contextFor } from '../sync';
import { ROTATION_OVERLAP_MS } from './callback-token';
import { WebhookRecords, type CallbackTokenFields } from './webhook-records';
import type { Cloud } from '../cloud';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { Ingest } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'now' | 'redis'> &
  Pick<Cloud, 'clients'> &
  Pick<Ingest, 'callbackTokens'> &
  Pick<Platform, 'devices' | 'events' | 'installations'>;

const recordsOf = (services: Deps) => new WebhookRecords(services.redis, services.keys);

/** Where the cloud should POST callbacks for one installation; the token proves it is the cloud we told. */
export function callbackBaseUrl(publicUrl: string, connector: string, installationId: string): string {
  return `${publicUrl}/connectors/${encodeURIComponent(connector)}/webhooks/${installationId}`;
}

const accountHash = (accountId: string) => createHash('sha256').update(accountId).digest('base64url').slice(0, 22);

/**
 * Issues a new callback token; the previous one keeps working for the rotation overlap so
 * deliveries already on their way are not refused. Returns the full callback URL.
 */
export async function issueCallbackToken(services: Deps, installation: Installation): Promise<string> {
  const records = recordsOf(services);
  const token = randomToken();
  const previous = await records.currentTokenHash(installation.id);
  const fields: CallbackTokenFields = { callbackTokenHash: hashToken(token) };
  if (previous) {
    fields.prevCallbackTokenHash = previous;
    fields.prevCallbackTokenUntil = String(services.now() + ROTATION_OVERLAP_MS);
  }
  await records.setTokenHashes(installation.id, fields);
  // Every host's cache still holds the old token as the current one (no overlap end): drop it.
  await services.callbackTokens.announce(installation.id);
  // The first token (at linking) is not a rotation; the event names no token, old or new.
  if (previous) {
    await services.events.append([
      { type: 'installation.callbackRotated', installationId: installation.id, data: { connector: installation.connector } },
    ]);
  }
  const q = new URLSearchParams({ access_token: token });
  return `${callbackBaseUrl(services.config.publicUrl, installation.connector, installation.id)}?${q.toString()}`;
}

/**
 * Registers this installation's callback URL with the cloud (after linking, after rotation, or on
 * a later poll if the cloud was down at linking). For clouds with one webhook per account, the
 * installation joins its account's set and its URL becomes the account's registration; pushes to
 * it are applied to every installation of the account.
 */
export async function ensureSubscribed(services: Deps, installationId: string): Promise<void> {
  const installation = await services.installations.get(installationId);
  if (!installation || installation.status !== 'linked') return;
  const connector = connectorFor(services, installation);
  const webhook = connector.definition.webhook;
  if (!webhook) return;
  const ctx = await contextFor(services, installation, connector);
  const records = recordsOf(services);
  if (webhook.accountId) await records.joinAccount(installation.id, installation.connector, accountHash(await webhook.accountId(ctx)));
  const url = await issueCallbackToken(services, installation);
  await webhook.subscribe(ctx, url);
  await records.markSubscribed(installation.id, installation.connector);
}

/** Best effort at linking time: a cloud that is down now gets another try from the next poll. */
export async function trySubscribe(services: Deps, installationId: string): Promise<void> {
  try {
    await recordsOf(services).markPending(installationId);
    await ensureSubscribed(services, installationId);
  } catch (err) {
    services.log.warn({ installationId, reason: (err as Error).message }, 'webhook subscription failed; will retry on next poll');
  }
}

export async function subscriptionPending(services: Deps, installationId: string): Promise<boolean> {
  return (await recordsOf(services).state(installationId)).state === 'pending';
}

/** Installations a push received by `installationId` applies to: its whole account, or just itself. */
export async function pushTargets(services: Deps, installation: Installation): Promise<string[]> {
  const records = recordsOf(services);
  const hash = (await records.state(installation.id)).accountHash;
  if (!hash) return [installation.id];
  const members = await records.accountMembers(installation.connector, hash);
  return members.includes(installation.id) ? members : [installation.id, ...members];
}

/**
 * Uninstall: leave the account; if others remain and our URL was the registered one, hand the
 * registration to one of them (so they keep receiving pushes); only the last one unsubscribes.
 */
export async function unsubscribeOnUninstall(services: Deps, installation: Installation): Promise<void> {
  const connector = connectorFor(services, installation);
  const webhook = connector.definition.webhook;
  if (!webhook) return;
  const records = recordsOf(services);
  const { accountHash: hash, state } = await records.state(installation.id);
  if (hash) {
    const { remaining, subscriber } = await records.leaveAccount(installation.id, installation.connector, hash);
    if (remaining.length > 0) {
      if (subscriber === installation.id) {
        await records.clearAccountSubscriber(installation.connector, hash);
        for (const other of remaining) {
          await ensureSubscribed(services, other).catch((err: unknown) =>
            services.log.warn({ installationId: other, reason: (err as Error).message }, 'handing over webhook failed'),
          );
          if ((await records.accountSubscriber(installation.connector, hash)) === other) break;
        }
      }
      return;
    }
    await records.dropAccount(installation.connector, hash);
  }
  if (state !== 'subscribed' || installation.status !== 'linked') return;
  const ctx = await contextFor(services, installation, connector);
  await webhook.unsubscribe(ctx, callbackBaseUrl(services.config.publicUrl, installation.connector, installation.id));
}

/** The poll worker's afterPoll hook: the cloud was unreachable at linking, so register the callback now. */
export async function retryPendingSubscription(services: Deps, installationId: string, replies?: PipelineReplies): Promise<void> {
  const pending = replies
    ? recordsOf(services).stateFromReply(replies[0]).state === 'pending'
    : await subscriptionPending(services, installationId);
  if (pending) await ensureSubscribed(services, installationId);
}

/**
 * The poll worker's hooks (sync's PollHooks): a registration the cloud could not take at linking is
 * retried after a poll, its state read in the poll's first round trip rather than in one of its own.
 */
export function subscriptionPollHooks(services: Deps): {
  afterPoll: (installationId: string, replies: PipelineReplies | undefined) => Promise<void>;
  afterPollReads: (pipeline: ChainableCommander, installationId: string) => void;
} {
  return {
    afterPoll: (installationId, replies) => retryPendingSubscription(services, installationId, replies),
    afterPollReads: (pipeline, installationId) => recordsOf(services).queueState(pipeline, installationId),
  };
}

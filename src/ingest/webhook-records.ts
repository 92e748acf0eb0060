import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from '../runtime';
import { installationKeys, type InstallationKeys } from '../platform';
import { webhookRecordKeys, type WebhookRecordKeys } from './webhook-record-keys';

export type WebhookState = 'pending' | 'subscribed';

const STATE_FIELDS = ['webhookState', 'webhookActivatedAt', 'accountHash'] as const;

/** The callback token fields `issue` writes: the current hash and, during rotation, the previous one. */
export interface CallbackTokenFields {
  callbackTokenHash: string;
  prevCallbackTokenHash?: string;
  prevCallbackTokenUntil?: string;
}

/**
 * The one repository of ingest's records: the webhook fields of an installation's hash (callback
 * token hashes, subscription state, the account it belongs to), an account's installations and its
 * registered subscriber, and the per-installation drop counters. Nothing else in ingest (or
 * elsewhere) reads or writes these keys; the installation's own fields belong to platform.
 */
export class WebhookRecords {
  private readonly keys: WebhookRecordKeys;
  /** ingest's fields live in the installation's hash: the one key it borrows from platform's family. */
  private readonly installation: InstallationKeys['installation'];

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = webhookRecordKeys(keySpace);
    this.installation = installationKeys(keySpace).installation;
  }

  /**
   * `fields` of many installations' hashes in one round trip (the ingest hot path batches the
   * callbacks of one event-loop turn); each answer is its fields, or the error of its command.
   */
  async lookupMany(ids: readonly string[], fields: readonly string[]): Promise<Array<{ fields: (string | null)[] } | { error: unknown }>> {
    // On a Cluster the hashes are in as many partitions (slots, nodes) as installations, which one
    // pipeline cannot span: one command each, sent together.
    let results: Array<[Error | null, unknown]>;
    if (this.redis.isCluster) {
      results = await Promise.all(
        ids.map((id) => this.redis.hmget(this.installation(id), ...fields).then((v): [null, unknown] => [null, v], (e: unknown): [Error, null] => [e as Error, null])),
      );
    } else {
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hmget(this.installation(id), ...fields);
      results = (await pipeline.exec()) ?? [];
    }
    return ids.map((_, i) => {
      const [error, values] = results[i] ?? [new Error('no reply'), null];
      return error ? { error } : { fields: values as (string | null)[] };
    });
  }

  async currentTokenHash(installationId: string): Promise<string | null> {
    return this.redis.hget(this.installation(installationId), 'callbackTokenHash');
  }

  async setTokenHashes(installationId: string, fields: CallbackTokenFields): Promise<void> {
    await this.redis.hset(this.installation(installationId), { ...fields });
  }

  async state(installationId: string): Promise<{ state: WebhookState | null; activatedAt: string | null; accountHash: string | null }> {
    return this.stateFrom(await this.redis.hmget(this.installation(installationId), ...STATE_FIELDS));
  }

  /** Queues the read of `state` on a pipeline the caller sends anyway (a poll's first); `stateFromReply` parses it. */
  queueState(pipeline: ChainableCommander, installationId: string): void {
    pipeline.hmget(this.installation(installationId), ...STATE_FIELDS);
  }

  stateFromReply(reply: [Error | null, unknown] | undefined): { state: WebhookState | null; activatedAt: string | null; accountHash: string | null } {
    const [error, values] = reply ?? [new Error('no reply from Redis'), null];
    if (error) throw error;
    return this.stateFrom(values as (string | null)[]);
  }

  private stateFrom([state, activatedAt, accountHash]: (string | null | undefined)[]): { state: WebhookState | null; activatedAt: string | null; accountHash: string | null } {
    return { state: state === 'pending' || state === 'subscribed' ? state : null, activatedAt: activatedAt ?? null, accountHash: accountHash ?? null };
  }

  async markPending(installationId: string): Promise<void> {
    await this.redis.hset(this.installation(installationId), 'webhookState', 'pending');
  }

  /** Subscribed; for a per-account cloud, this installation's URL is now the account's registration. */
  async markSubscribed(installationId: string, connector: string): Promise<void> {
    const key = this.installation(installationId);
    const hash = await this.redis.hget(key, 'accountHash');
    // The installation's hash (its partition) first, then the account's key (a slot of its own): no
    // cross-slot transaction. A crash between leaves the previous subscriber registered, which the
    // next subscribe of this account replaces.
    await this.redis.hset(key, 'webhookState', 'subscribed');
    if (hash) await this.redis.set(this.keys.accountSubscriber(connector, hash), installationId);
  }

  async markActivated(installationId: string, at: Date): Promise<void> {
    await this.redis.hset(this.installation(installationId), 'webhookActivatedAt', at.toISOString());
  }

  /** Joins the account `hash` (leaving a previous one): pushes to the account reach every member. */
  async joinAccount(installationId: string, connector: string, hash: string): Promise<void> {
    const key = this.installation(installationId);
    const previous = await this.redis.hget(key, 'accountHash');
    if (previous && previous !== hash) await this.redis.srem(this.keys.accountInstallations(connector, previous), installationId);
    // The installation's hash first, then the account's index (another slot). A crash between
    // leaves the installation outside the index; the next join (every link and relink) adds it.
    await this.redis.hset(key, 'accountHash', hash);
    await this.redis.sadd(this.keys.accountInstallations(connector, hash), installationId);
  }

  async accountMembers(connector: string, hash: string): Promise<string[]> {
    return this.redis.smembers(this.keys.accountInstallations(connector, hash));
  }

  async accountSubscriber(connector: string, hash: string): Promise<string | null> {
    return this.redis.get(this.keys.accountSubscriber(connector, hash));
  }

  /** Leaves the account; returns who remains and who was the registered subscriber. */
  async leaveAccount(installationId: string, connector: string, hash: string): Promise<{ remaining: string[]; subscriber: string | null }> {
    await this.redis.srem(this.keys.accountInstallations(connector, hash), installationId);
    const [remaining, subscriber] = await Promise.all([this.accountMembers(connector, hash), this.accountSubscriber(connector, hash)]);
    return { remaining, subscriber };
  }

  async clearAccountSubscriber(connector: string, hash: string): Promise<void> {
    await this.redis.del(this.keys.accountSubscriber(connector, hash));
  }

  async dropAccount(connector: string, hash: string): Promise<void> {
    // Two keys, two slots on a Cluster: one DEL each.
    await Promise.all([this.redis.del(this.keys.accountSubscriber(connector, hash)), this.redis.del(this.keys.accountInstallations(connector, hash))]);
  }

  async countDroppedBadSignature(installationId: string): Promise<void> {
    await this.redis.hincrby(this.keys.webhookStats(installationId), 'droppedBadSignature', 1);
  }

  async droppedBadSignature(installationId: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.webhookStats(installationId), 'droppedBadSignature')) ?? 0);
  }

  /** Uninstall: the installation's drop counters. */
  async forgetStats(installationId: string): Promise<void> {
    await this.redis.del(this.keys.webhookStats(installationId));
  }
}

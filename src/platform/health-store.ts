import type { ChainableCommander, Redis } from 'ioredis';
import { execFenced, WriteBatch, type Fence, type Keys } from '../runtime';
import { deviceKeys } from './device-keys';
import type { EventLog, NewEvent } from './event-log';
import { installationKeys } from './installation-keys';
import { HEALTH_FIELDS, healthFromFields, onReauthRequired, type HealthChange, type HealthRecord } from './health';
import type { Installation } from './installation-store';

const EVENT_OF = { degraded: 'installation.degraded', recovered: 'installation.recovered' } as const;

/**
 * Health fields live in the installation's sync-state hash (beside the cursor), so a poll reads
 * them in the pipeline it already sends behind the lock, and uninstall deletes them with it.
 */
export class HealthStore {
  private readonly keys: { syncState: (id: string) => string; installation: (id: string) => string };

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly events: EventLog,
  ) {
    // The sync-state hash is the device family's, the record the installation family's: health is
    // a documented co-tenant of both (test/architecture lists it).
    this.keys = { syncState: deviceKeys(keySpace).syncState, installation: installationKeys(keySpace).installation };
  }

  /** Queues the read on a pipeline the caller sends anyway; `healthFromFields` parses its reply. */
  queueRead(pipeline: ChainableCommander, installationId: string): void {
    pipeline.hmget(this.keys.syncState(installationId), ...HEALTH_FIELDS);
  }

  async read(installationId: string): Promise<HealthRecord> {
    return healthFromFields(await this.redis.hmget(this.keys.syncState(installationId), ...HEALTH_FIELDS));
  }

  /** Adds a change, with its transition event, to a batch that commits under the sync lock. */
  addTo(batch: WriteBatch, installation: Installation, change: HealthChange): void {
    const key = this.keys.syncState(installation.id);
    for (const [field, value] of Object.entries(change.fields)) batch.hset(key, field, value);
    if (change.transition) this.events.appendTo(batch, [transitionEvent(installation, change)]);
  }

  async commit(installation: Installation, change: HealthChange, fence: Fence): Promise<void> {
    if (Object.keys(change.fields).length === 0 && !change.transition) return;
    const batch = new WriteBatch();
    this.addTo(batch, installation, change);
    await execFenced(this.redis, fence, batch);
  }

  /** Entering `reauth_required`: failures reset for the re-link, the reason kept for the health view. */
  async markReauth(installationId: string, reason: string): Promise<void> {
    // Only while the record exists: a hash written after uninstall would outlive the installation.
    await this.redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[2], unpack(ARGV)) end return 0`,
      2,
      this.keys.installation(installationId),
      this.keys.syncState(installationId),
      ...Object.entries(onReauthRequired(reason)).flat(),
    );
  }
}

function transitionEvent(installation: Installation, change: HealthChange): NewEvent {
  const transition = change.transition as keyof typeof EVENT_OF;
  const lastError = change.fields['lastError'];
  return {
    type: EVENT_OF[transition],
    installationId: installation.id,
    data: {
      connector: installation.connector,
      ...(transition === 'degraded' && lastError ? { lastError: JSON.parse(lastError) as unknown } : {}),
      ...(transition === 'degraded' ? { failures: Number(change.fields['failures']) } : {}),
    },
  };
}

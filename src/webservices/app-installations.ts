import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../runtime';
import { appInstallationKeys, type AppInstallationKeys } from './app-installation-keys';
import { SCOPES, type Scope } from './scopes';

/** One child device the user shared: the connector installation it lives under, and its id. */
export interface GrantedDevice {
  installationId: string;
  deviceId: string;
}

/** What the user agreed to: this client may use these devices at this location (a SmartThings "app installation"). */
export interface AppInstallation {
  id: string;
  clientId: string;
  userId: string;
  location: { id: string; name: string };
  scopes: Scope[];
  devices: GrantedDevice[];
  createdAt: string;
}

const schema = z.object({
  id: z.string(),
  clientId: z.string(),
  userId: z.string(),
  location: z.object({ id: z.string(), name: z.string() }),
  scopes: z.array(z.enum(SCOPES)),
  devices: z.array(z.object({ installationId: z.string(), deviceId: z.string() })),
  createdAt: z.string(),
});

export class AppInstallationStore {
  private readonly keys: AppInstallationKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = appInstallationKeys(keySpace.prefix);
  }

  async create(input: Omit<AppInstallation, 'id' | 'createdAt'>, now: Date): Promise<AppInstallation> {
    const app: AppInstallation = { id: randomUUID(), ...input, createdAt: now.toISOString() };
    // The index entries first, then the record: each index is a key of its own (a slot of its own
    // on a Cluster), so no transaction spans them, and a crash leaves at most entries without a
    // record, which every reader skips (it loads the app and finds none).
    await Promise.all([
      this.redis.sadd(this.keys.userApps(app.userId), app.id),
      this.redis.sadd(this.keys.clientApps(app.clientId), app.id),
      ...app.devices.map((d) => this.redis.sadd(this.keys.deviceApps(d.deviceId), app.id)),
    ]);
    await this.redis.set(this.keys.app(app.id), JSON.stringify(app));
    return app;
  }

  async get(id: string): Promise<AppInstallation | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const raw = await this.redis.get(this.keys.app(id));
    return raw ? schema.parse(JSON.parse(raw)) : undefined;
  }

  /** Every app the user granted (to revoke them all when the account goes). */
  async forUser(userId: string): Promise<AppInstallation[]> {
    return this.all(await this.redis.smembers(this.keys.userApps(userId)));
  }

  /** Every app of the client since this index exists (older ones fail at the token check once the client is gone). */
  async forClient(clientId: string): Promise<AppInstallation[]> {
    return this.all(await this.redis.smembers(this.keys.clientApps(clientId)));
  }

  private async all(ids: string[]): Promise<AppInstallation[]> {
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((a): a is AppInstallation => a !== undefined);
  }

  /** Apps that were granted this device (for routing its events). */
  async forDevice(deviceId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.deviceApps(deviceId));
  }

  /** Drops a device from the app's grant for good (its connector removed it). */
  async forgetDevice(appId: string, deviceId: string): Promise<void> {
    const app = await this.get(appId);
    if (app) {
      const next = { ...app, devices: app.devices.filter((d) => d.deviceId !== deviceId) };
      await this.redis.set(this.keys.app(appId), JSON.stringify(next), 'XX');
    }
    await this.redis.srem(this.keys.deviceApps(deviceId), appId);
  }

  /** True when this call removed it (so a second revocation is a 404). */
  async delete(app: AppInstallation): Promise<boolean> {
    // The record first (its tokens stop working), then the index entries.
    const deleted = await this.redis.del(this.keys.app(app.id));
    await Promise.all([
      this.redis.srem(this.keys.userApps(app.userId), app.id),
      this.redis.srem(this.keys.clientApps(app.clientId), app.id),
      ...app.devices.map((d) => this.redis.srem(this.keys.deviceApps(d.deviceId), app.id)),
    ]);
    return deleted === 1;
  }
}

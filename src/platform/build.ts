import type { Base } from '../runtime';
import { DeviceStore } from './device-store';
import { EventLog } from './event-log';
import { HealthStore } from './health-store';
import { InstallationStore } from './installation-store';

/** The platform's repositories, built from the shared base. */
export interface Platform {
  installations: InstallationStore;
  events: EventLog;
  devices: DeviceStore;
  /** Installation health (degraded, last success, last error), beside the sync cursor. */
  health: HealthStore;
}

/**
 * `tokensKey` names the provider tokens (cloud's record family), which the installation store
 * deletes in the same script as the record; composition hands it over since platform may not import cloud.
 */
export function buildPlatform(base: Pick<Base, 'config' | 'redis' | 'keys' | 'now'>, tokensKey: (installationId: string) => string): Platform {
  const events = new EventLog(base.redis, base.keys, base.now, { retention: base.config.eventRetention });
  return {
    installations: new InstallationStore(base.redis, base.keys, tokensKey),
    events,
    devices: new DeviceStore(base.redis, base.keys, events),
    health: new HealthStore(base.redis, base.keys, events),
  };
}

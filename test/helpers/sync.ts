import { syncInstallation } from '../../src/sync/sync-installation';
import type { HostCore } from './host';

/**
 * One poll of an installation, now, in the test's process, with its outcome: for a connector's
 * own tests, which may import test helpers but not src/ beyond the SDK.
 */
export function syncNow(host: HostCore, installationId: string, options: { full?: boolean } = {}): ReturnType<typeof syncInstallation> {
  return syncInstallation(host.services, installationId, options);
}

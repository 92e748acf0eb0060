import { batchKeys } from '../../src/ingest/batch-keys';
import { callbackTokenKeys } from '../../src/ingest/callback-token-keys';
import { failedKeys } from '../../src/ingest/failed-keys';
import { webhookRecordKeys } from '../../src/ingest/webhook-record-keys';
import { stateKeys } from '../../src/linking/state-keys';
import { deviceKeys } from '../../src/platform/device-keys';
import { eventKeys } from '../../src/platform/event-keys';
import { installationKeys } from '../../src/platform/installation-keys';
import { rateKeys } from '../../src/cloud/rate-keys';
import { refreshKeys } from '../../src/cloud/refresh-keys';
import { tokenKeys } from '../../src/cloud/token-keys';
import type { Keys } from '../../src/runtime';
import { createKeys } from '../../src/runtime/redis/keys';
import { syncLockKeys } from '../../src/sync/sync-lock-keys';
import { pollScheduleKeys } from '../../src/sync/poll-schedule-keys';
import { appInstallationKeys } from '../../src/webservices/app-installation-keys';
import { authorizeSessionKeys } from '../../src/webservices/authorize-session-keys';
import { clientKeys } from '../../src/webservices/client-keys';
import { grantKeys } from '../../src/webservices/grant-keys';
import { loginFailureKeys } from '../../src/webservices/login-failure-keys';
import { subscriptionKeys } from '../../src/webservices/subscription-keys';
import { userKeys } from '../../src/webservices/user-keys';

/**
 * Every family's key names in one object, for tests that inspect or plant records directly. In
 * src/ each builder is used only by its repository (test/architecture); tests may look everywhere.
 */
export function keyNames(keys: Keys | string) {
  const k = typeof keys === 'string' ? createKeys(keys) : keys;
  const p = k.prefix;
  return {
    ...installationKeys(k),
    ...deviceKeys(k),
    ...eventKeys(k),
    ...tokenKeys(k),
    ...refreshKeys(k),
    ...rateKeys(k),
    ...stateKeys(k),
    ...syncLockKeys(k),
    ...pollScheduleKeys(k),
    ...failedKeys(k),
    ...batchKeys(k),
    ...webhookRecordKeys(k),
    ...callbackTokenKeys(p),
    ws: {
      ...userKeys(p),
      ...clientKeys(p),
      ...appInstallationKeys(p),
      ...grantKeys(p),
      ...authorizeSessionKeys(p),
      ...loginFailureKeys(p),
      ...subscriptionKeys(p),
    },
  };
}

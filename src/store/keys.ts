/**
 * The only place a Redis key name is built. Every key lives under the deployment's prefix so
 * several deployments (or test runs) can share one server. Keys that belong to one installation
 * contain `inst:{id}` so "no key names the installation" is checkable after uninstall.
 */
export interface Keys {
  readonly prefix: string;
  /** Prefix handed to BullMQ for its own keys. */
  readonly bullPrefix: string;
  installation(id: string): string;
  installationTokens(id: string): string;
  installationsAll(): string;
  installationsAtLocation(locationId: string): string;
  /** singleInstance guard: holds the id of the one installation of `connector` at `locationId`. */
  singleInstance(connector: string, locationId: string): string;
  oauthState(state: string): string;
  refreshLock(installationId: string): string;
  installationEvents(id: string): string;
  devices(id: string): string;
  selection(id: string): string;
  syncState(id: string): string;
  syncLock(id: string): string;
  webhookFailed(id: string): string;
  webhookStats(id: string): string;
  webhookDedup(id: string): string;
  /** Installations linked to one cloud account (hashed), for clouds with one webhook per account. */
  accountInstallations(connector: string, accountHash: string): string;
  /** The installation whose callback URL is registered for that account. */
  accountSubscriber(connector: string, accountHash: string): string;
  globalEvents(): string;
  /** Pattern that matches every key we own for one installation (for cleanup checks). */
  installationPattern(id: string): string;
}

export function createKeys(prefix: string): Keys {
  const p = prefix;
  return {
    prefix: p,
    bullPrefix: `${p}:bull`,
    installation: (id) => `${p}:inst:${id}`,
    installationTokens: (id) => `${p}:inst:${id}:tokens`,
    installationsAll: () => `${p}:installations`,
    installationsAtLocation: (locationId) => `${p}:location:${encodeURIComponent(locationId)}:installations`,
    singleInstance: (connector, locationId) => `${p}:location:${encodeURIComponent(locationId)}:single:${connector}`,
    oauthState: (state) => `${p}:oauth-state:${state}`,
    refreshLock: (id) => `${p}:inst:${id}:refresh-lock`,
    installationEvents: (id) => `${p}:inst:${id}:events`,
    devices: (id) => `${p}:inst:${id}:devices`,
    selection: (id) => `${p}:inst:${id}:selected`,
    syncState: (id) => `${p}:inst:${id}:sync`,
    syncLock: (id) => `${p}:inst:${id}:sync-lock`,
    webhookFailed: (id) => `${p}:inst:${id}:webhooks:failed`,
    webhookStats: (id) => `${p}:inst:${id}:webhooks:stats`,
    webhookDedup: (id) => `${p}:inst:${id}:webhooks:dedup`,
    accountInstallations: (connector, hash) => `${p}:account:${connector}:${hash}:installations`,
    accountSubscriber: (connector, hash) => `${p}:account:${connector}:${hash}:subscriber`,
    globalEvents: () => `${p}:events`,
    installationPattern: (id) => `${p}:*${id}*`,
  };
}

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
  /** The installation's outstanding linking states, oldest first, so their number can be capped. */
  oauthStates(installationId: string): string;
  refreshLock(installationId: string): string;
  installationEvents(id: string): string;
  devices(id: string): string;
  selection(id: string): string;
  syncState(id: string): string;
  syncLock(id: string): string;
  /** Cloud calls of one installation in flight, across every worker (a sorted set of leases). */
  cloudLeases(id: string): string;
  /** A cloud quota's budget: `scope` is `inst:<id>` (one account) or `app:<connector>` (the client id). */
  rateBucket(scope: string, windowMs: number): string;
  /** Set while the cloud asked `scope` to hold its calls (a 429 and its Retry-After). */
  ratePause(scope: string): string;
  webhookFailed(id: string): string;
  webhookStats(id: string): string;
  webhookDedup(id: string): string;
  /** Which callbacks of one batched webhook job were applied, so a retry applies only the rest. */
  webhookBatchDone(jobId: string): string;
  /** Installations linked to one cloud account (hashed), for clouds with one webhook per account. */
  accountInstallations(connector: string, accountHash: string): string;
  /** The installation whose callback URL is registered for that account. */
  accountSubscriber(connector: string, accountHash: string): string;
  globalEvents(): string;
  /** Pattern that matches every key we own for one installation (for cleanup checks). */
  installationPattern(id: string): string;
  /** Web Services API (external systems authorized into the platform); see src/webservices. */
  ws: WebServicesKeys;
  /** Listing index of installations (a sorted set by creation; see SortedIndex). */
  installationsIndex(): string;
  /** Named admin API keys: the record, the listing index. */
  apiKey(id: string): string;
  apiKeys(): string;
}

export interface WebServicesKeys {
  user(id: string): string;
  userByName(username: string): string;
  client(clientId: string): string;
  app(id: string): string;
  userApps(userId: string): string;
  /** App installations that were granted one child device, for event routing. */
  deviceApps(deviceId: string): string;
  code(hash: string): string;
  accessToken(hash: string): string;
  refreshToken(hash: string): string;
  /** Token keys issued from one authorization code (a grant), revoked together. */
  grantTokens(grantId: string): string;
  appGrants(appId: string): string;
  authorizeSession(id: string): string;
  loginFailures(kind: string, subject: string): string;
  subscription(id: string): string;
  appSubscriptions(appId: string): string;
  deliveryList(subscriptionId: string, deviceId: string): string;
  deliveryMarker(subscriptionId: string, deviceId: string): string;
  deliveryGeneration(): string;
  activeDrains(): string;
  deliveryFailed(subscriptionId: string): string;
  fanoutCursor(): string;
  /** Listing indexes (sorted sets by creation; see SortedIndex) and the marker of their one-time backfill. */
  usersIndex(): string;
  clientsIndex(): string;
  subscriptionsIndex(): string;
  indexBackfilled(name: string): string;
  /** Scan pattern of the records one index lists (for the backfill). */
  recordPattern(family: 'user' | 'client' | 'sub'): string;
  /** App installations of one OAuth client, so deleting the client revokes them. */
  clientApps(clientId: string): string;
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
    oauthStates: (id) => `${p}:inst:${id}:oauth-states`,
    refreshLock: (id) => `${p}:inst:${id}:refresh-lock`,
    installationEvents: (id) => `${p}:inst:${id}:events`,
    devices: (id) => `${p}:inst:${id}:devices`,
    selection: (id) => `${p}:inst:${id}:selected`,
    syncState: (id) => `${p}:inst:${id}:sync`,
    syncLock: (id) => `${p}:inst:${id}:sync-lock`,
    cloudLeases: (id) => `${p}:inst:${id}:cloud-leases`,
    rateBucket: (scope, windowMs) => `${p}:${scope}:rate:${windowMs}`,
    ratePause: (scope) => `${p}:${scope}:rate-pause`,
    webhookFailed: (id) => `${p}:inst:${id}:webhooks:failed`,
    webhookStats: (id) => `${p}:inst:${id}:webhooks:stats`,
    webhookDedup: (id) => `${p}:inst:${id}:webhooks:dedup`,
    webhookBatchDone: (jobId) => `${p}:webhooks:batch:${jobId}:done`,
    accountInstallations: (connector, hash) => `${p}:account:${connector}:${hash}:installations`,
    accountSubscriber: (connector, hash) => `${p}:account:${connector}:${hash}:subscriber`,
    globalEvents: () => `${p}:events`,
    installationPattern: (id) => `${p}:*${id}*`,
    ws: {
      user: (id) => `${p}:ws:user:${id}`,
      userByName: (username) => `${p}:ws:username:${encodeURIComponent(username)}`,
      client: (clientId) => `${p}:ws:client:${clientId}`,
      app: (id) => `${p}:ws:app:${id}`,
      userApps: (userId) => `${p}:ws:user:${userId}:apps`,
      deviceApps: (deviceId) => `${p}:ws:device:${deviceId}:apps`,
      code: (hash) => `${p}:ws:code:${hash}`,
      accessToken: (hash) => `${p}:ws:access:${hash}`,
      refreshToken: (hash) => `${p}:ws:refresh:${hash}`,
      grantTokens: (grantId) => `${p}:ws:grant:${grantId}:tokens`,
      appGrants: (appId) => `${p}:ws:app:${appId}:grants`,
      authorizeSession: (id) => `${p}:ws:authorize:${id}`,
      loginFailures: (kind, subject) => `${p}:ws:login-failures:${kind}:${encodeURIComponent(subject)}`,
      subscription: (id) => `${p}:ws:sub:${id}`,
      appSubscriptions: (appId) => `${p}:ws:app:${appId}:subs`,
      deliveryList: (subId, deviceId) => `${p}:ws:sub:${subId}:pending:${deviceId}`,
      deliveryMarker: (subId, deviceId) => `${p}:ws:sub:${subId}:drain:${deviceId}`,
      deliveryGeneration: () => `${p}:ws:drain-generation`,
      activeDrains: () => `${p}:ws:drains`,
      deliveryFailed: (subId) => `${p}:ws:sub:${subId}:failed`,
      fanoutCursor: () => `${p}:ws:fanout-cursor`,
      usersIndex: () => `${p}:ws:index:users`,
      clientsIndex: () => `${p}:ws:index:clients`,
      subscriptionsIndex: () => `${p}:ws:index:subs`,
      indexBackfilled: (name) => `${p}:ws:index:${name}:backfilled`,
      recordPattern: (family) => `${p}:ws:${family}:*`,
      clientApps: (clientId) => `${p}:ws:client:${clientId}:apps`,
    },
    installationsIndex: () => `${p}:index:installations`,
    apiKey: (id) => `${p}:api-key:${id}`,
    apiKeys: () => `${p}:index:api-keys`,
  };
}

import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { describeTopology, type RedisTopology } from './topology';

/**
 * What a connection is for; the options differ by what a failure must do to its caller.
 * - `request`: the request path and data access. Fails fast: no offline queue (a command while no
 *   primary is reachable is refused at once, and the request answers 503), every command bounded
 *   by the command timeout. Must be ready before use (see whenReady).
 * - `blocking`: BullMQ's workers and the fan-out's XREAD BLOCK. Waits on purpose: no command
 *   timeout, and `maxRetriesPerRequest: null`, which BullMQ requires of its blocking connections.
 * - `subscriber`: a pub/sub connection; the caller says how it resubscribes.
 * - `tool`: tests, benchmarks, scripts: queues commands until connected, so they can be used at once.
 */
export type ConnectionRole = 'request' | 'blocking' | 'subscriber' | 'tool';

/** ioredis options plus, for a single server, the URL. */
export type ConnectionOptions = RedisOptions & { url?: string };

/** The process was configured for a topology it cannot run on yet; main exits with code 2. */
export class UnsupportedTopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedTopologyError';
  }
}

/**
 * Every topology the configuration accepts can be run on: Redis Cluster since the partitioned key
 * layout (runtime/redis/partitions.ts) keeps every script and MULTI in one hash slot. Kept as the
 * one place a topology would be refused at start (exit code 2).
 */
export function assertTopologySupported(_topology: RedisTopology): void {}

/**
 * READONLY: the server we write to was demoted (a failover happened and it came back as a
 * replica). Behind Sentinel, reconnecting asks the sentinels for the current primary, and `2`
 * resends the command there (safe: a READONLY reply means it was not executed). A single URL may
 * be a failover-aware DNS name: reconnect, but fail the command rather than loop on a replica.
 */
function reconnectOnError(topology: RedisTopology): (err: Error) => boolean | 1 | 2 {
  const resend = topology.kind === 'sentinel';
  return (err) => (/^READONLY/.test(err.message) ? (resend ? 2 : 1) : false);
}

const ROLE_OPTIONS: Record<ConnectionRole, (commandTimeoutMs: number) => RedisOptions> = {
  request: (commandTimeoutMs) => ({ enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs }),
  blocking: () => ({ enableOfflineQueue: true, maxRetriesPerRequest: null }),
  subscriber: () => ({ enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
  tool: () => ({ enableOfflineQueue: true, maxRetriesPerRequest: 1 }),
};

/**
 * The one place Redis clients are made: the request-path client, BullMQ's connections, the
 * fan-out's blocking reader, the invalidation subscriber, test and bench helpers. Every one of them
 * connects to the same topology the same way; only the role's failure behaviour differs.
 */
export class RedisConnections {
  constructor(
    readonly topology: RedisTopology,
    private readonly settings: { commandTimeoutMs: number },
  ) {}

  /** The options for `role`, as create() gives them to ioredis. */
  options(role: ConnectionRole, overrides: RedisOptions = {}): ConnectionOptions {
    const common: RedisOptions = {
      connectTimeout: 2_000,
      retryStrategy: (times: number) => Math.min(times * 200, 2_000),
      reconnectOnError: reconnectOnError(this.topology),
      ...ROLE_OPTIONS[role](this.settings.commandTimeoutMs),
    };
    const t = this.topology;
    switch (t.kind) {
      case 'single':
        return { url: t.url, ...common, ...overrides };
      case 'sentinel':
        return {
          sentinels: t.sentinels.map((n) => ({ host: n.host, port: n.port })),
          name: t.name,
          // Writes go to the primary only; a demoted one is left on READONLY (above) and on the
          // sentinels' +switch-master, which failoverDetector listens for, instead of at the next
          // failed reconnect.
          role: 'master',
          failoverDetector: true,
          ...(t.sentinelPassword !== undefined ? { sentinelPassword: t.sentinelPassword } : {}),
          ...(t.username !== undefined ? { username: t.username } : {}),
          ...(t.password !== undefined ? { password: t.password } : {}),
          sentinelRetryStrategy: (times: number) => Math.min(times * 200, 2_000),
          ...common,
          ...overrides,
        };
      case 'cluster':
        // create() builds a Cluster client from clusterOptions(); these are its per-node options.
        return { ...common, ...overrides };
    }
  }

  /**
   * The options of a Cluster client for `role`, as createCluster() gives them to ioredis. The role's
   * per-node options go to every node connection; the offline queue is the Cluster's own (a
   * command while the slot map is unknown or a node is being reconnected waits there or fails).
   * Fail fast on the request path: no offline queue, each command bounded by the command timeout,
   * and redirections bounded so a cluster in failover answers 503 within about a second instead of
   * retrying for 15 s.
   */
  clusterOptions(role: ConnectionRole, overrides: RedisOptions = {}): { nodes: Array<{ host: string; port: number }>; options: ClusterOptions } {
    const t = this.topology;
    if (t.kind !== 'cluster') throw new UnsupportedTopologyError(`createCluster() needs REDIS_CLUSTER_NODES; this process is configured for ${t.kind}`);
    const { enableOfflineQueue, retryStrategy: _perNodeRetry, ...perNode } = { connectTimeout: 2_000, ...ROLE_OPTIONS[role](this.settings.commandTimeoutMs), ...overrides };
    const failFast = role === 'request' || role === 'subscriber';
    return {
      nodes: t.nodes.map((n) => ({ host: n.host, port: n.port })),
      options: {
        enableOfflineQueue: enableOfflineQueue ?? true,
        // Reads go to primaries too: a replica may lag behind a write this process just made.
        scaleReads: 'master',
        clusterRetryStrategy: (times: number) => Math.min(times * 200, 2_000),
        // A primary that died is replaced by its replica within the node timeout; until then its
        // slots answer CLUSTERDOWN or a closed connection. The request path gives up after ~1 s.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        maxRedirections: failFast ? 8 : 16,
        slotsRefreshTimeout: 2_000,
        redisOptions: {
          ...perNode,
          ...(t.username !== undefined ? { username: t.username } : {}),
          ...(t.password !== undefined ? { password: t.password } : {}),
        },
      },
    };
  }

  /** A new Cluster client for `role` (REDIS_CLUSTER_NODES). The caller closes it and listens for 'error'. */
  createCluster(role: ConnectionRole, overrides: RedisOptions = {}): Cluster {
    const { nodes, options } = this.clusterOptions(role, overrides);
    return new Cluster(nodes, { ...options, redisOptions: { ...options.redisOptions, replyMapping: 'legacy' as const } });
  }

  /**
   * A new client for `role`. The caller closes it (quit/disconnect) and listens for 'error'.
   *
   * On a Cluster this is an ioredis `Cluster`, handed out as the `Redis` the stores are written
   * against: both share ioredis' command interface, which is all the stores use, and where a
   * Cluster must be treated differently (one command per key instead of MGET or a pipeline across
   * records, SCAN on every primary, no XREAD across slots) the code asks `isCluster`
   * (runtime/redis/cluster-safe.ts, event-log.ts, rate-gate.ts). Every store's multi-key command is
   * exercised on a real Cluster by test/topology/cluster-*.integration.test.ts.
   */
  create(role: ConnectionRole, overrides: RedisOptions = {}): Redis {
    if (this.topology.kind === 'cluster') return this.createCluster(role, overrides) as unknown as Redis;
    const { url, ...options } = this.options(role, overrides);
    // 'legacy': ioredis 6's reply shapes as ioredis 5 had them, which the stores are written for.
    const withMapping = { ...options, replyMapping: 'legacy' as const };
    return reviveOnUnplannedEnd(url !== undefined ? new Redis<'legacy'>(url, withMapping) : new Redis<'legacy'>(withMapping));
  }

  /** Where this process connects, for logs: never a password. */
  describe(): string {
    return describeTopology(this.topology);
  }
}

/**
 * ioredis gives up on a client for good ('end') when a Sentinel failover notice (failoverDetector)
 * lands while a reconnect is asking the sentinels where the primary is: the notice cancels the
 * connect, and a cancelled connect ends the client instead of retrying. Seen in the failover
 * fault test: the host answered 503 forever after a failover that took 2 s. A client that ends
 * without being closed by us is connected again; its copies (duplicate(), which BullMQ uses for
 * its blocking connections) get the same treatment. Patched on the instance, not by subclassing,
 * so that BullMQ and the benchmarks still see a plain ioredis client.
 */
function reviveOnUnplannedEnd<T extends Redis>(client: T): T {
  let closedOnPurpose = false;
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect = false): void => {
    if (!reconnect) closedOnPurpose = true;
    disconnect(reconnect);
  };
  const sendCommand = client.sendCommand.bind(client);
  client.sendCommand = (...args: Parameters<Redis['sendCommand']>): unknown => {
    if (args[0].name === 'quit') closedOnPurpose = true;
    return sendCommand(...args);
  };
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((override?: Partial<RedisOptions>) => reviveOnUnplannedEnd(duplicate(override))) as T['duplicate'];
  client.on('end', () => {
    if (closedOnPurpose) return;
    const retry = setTimeout(() => {
      if (!closedOnPurpose && client.status === 'end') client.connect().catch(() => undefined);
    }, 200);
    retry.unref();
  });
  return client;
}

/**
 * Resolves once `redis` is ready for commands (a `request` client refuses them before), rejects
 * after `timeoutMs` or if the client is closed meanwhile. `onWaiting` is called every few seconds
 * while it waits, for a log line.
 */
export function whenReady(redis: Redis, options: { timeoutMs?: number; onWaiting?: (waitedMs: number) => void } = {}): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(ticker);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('Connection is closed.'));
    };
    const timer = options.timeoutMs !== undefined
      ? setTimeout(() => {
          cleanup();
          reject(new Error(`Redis not ready within ${options.timeoutMs} ms (${redis.status})`));
        }, options.timeoutMs)
      : undefined;
    const ticker = setInterval(() => options.onWaiting?.(Date.now() - started), 5_000);
    ticker.unref();
    redis.on('ready', onReady);
    redis.on('end', onEnd);
  });
}

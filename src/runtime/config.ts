import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseSecretKey } from './secret-key';
import { keyringFromEnv, SecretKeyring } from './secrets/keyring';
import { topologyFromEnv, type RedisTopology } from './redis/topology';

export type Mode = 'serve' | 'work' | 'all';

export interface ConnectorCredentials {
  clientId: string;
  clientSecret: string | undefined;
  apiUrl: string;
}

/** What config needs to know about a connector: the env prefix and default API base URL. */
export interface ConnectorEnvSpec {
  name: string;
  envPrefix: string;
  defaultApiUrl: string;
}

export interface Config {
  mode: Mode;
  port: number;
  host: string;
  publicUrl: string;
  /** REDIS_URL as given (undefined with Sentinel, Cluster, or nothing configured). */
  redisUrl: string | undefined;
  /**
   * REDIS_URL, REDIS_SENTINELS (+ REDIS_SENTINEL_NAME …) or REDIS_CLUSTER_NODES; undefined when
   * none is set, and the demo's fallback finds or starts a Redis.
   */
  redisTopology: RedisTopology | undefined;
  /**
   * REDIS_ACK_REPLICAS: replicas that must confirm a webhook's job (WAIT) before it is
   * acknowledged; 0 (default) acknowledges once the primary has it.
   */
  redisAckReplicas: number;
  /** Without REDIS_URL: a private redis-server (default), or what answers on 127.0.0.1:6379 first (`auto`). */
  redisFallback: 'auto' | 'private';
  keyPrefix: string;
  /** REDIS_PARTITIONS: the partitions of new data; undefined = whatever the data recorded (16 for new data). See runtime/redis/layout.ts. */
  redisPartitions: number | undefined;
  adminToken: string;
  /** The first key of `secretKeys`: what HMAC keys (sessions, CSRF, confirmation tokens) derive from. */
  secretKey: Buffer;
  /** SECRET_KEYS (+ SECRET_KEY as id `legacy`): the first encrypts, every one decrypts. */
  secretKeys: SecretKeyring;
  /** True when no connector has credentials: fakes are started and a demo installation is created. */
  demo: boolean;
  /** Secrets we made up because demo mode allows it; printed once so a person can use them. */
  generated: { adminToken: boolean; secretKey: boolean };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  httpTimeoutMs: number;
  stateTtlS: number;
  /** The refresh lock's lifetime: how long a crashed refresher can hold up others. */
  refreshLockTtlMs: number;
  pollIntervalS: number | undefined;
  /** Where a `work`-mode process serves /metrics (hosts serve it on PORT). */
  metricsPort: number;
  /**
   * Proxy hops in front of the host whose X-Forwarded-* headers are believed (0: none, so a client
   * cannot choose its own address for the per-address limiters, nor claim https).
   */
  trustProxy: number;
  /** When set, /metrics (host and workers) answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | undefined;
  /** Longest a Redis command on a request path may take before the request gives up (503). */
  redisCommandTimeoutMs: number;
  /** A webhook not durable in Redis within this is answered 503 + Retry-After, never 2xx. */
  webhookEnqueueTimeoutMs: number;
  /** After SIGTERM, how long in-flight work may drain before the process exits anyway. */
  shutdownTimeoutMs: number;
  connectors: Record<string, ConnectorCredentials>;
  /** Provider-token revocation after uninstall: attempts, and the first backoff (doubling). */
  tokenRevocation: { attempts: number; backoffMs: number };
  /** The Web Services API (the platform as OAuth2 authorization server). */
  webServices: WebServicesConfig;
  /** Installation health: when a linked installation counts as degraded, how coarse lastSuccessAt is. */
  health: { degradedAfter: number; successResolutionMs: number };
  /** Event sinks (pushed events): attempts per event before it is dead-lettered, backoff base. */
  eventSinks: { attempts: number; backoffMs: number };
  /**
   * EVENT_RETENTION: about how many events the partition streams keep together (each
   * retention / partitions, trimmed approximately); also bounds each installation's history.
   */
  eventRetention: number;
  /**
   * WORKER_CONCURRENCY: the jobs of one kind (poll, webhook, …) a worker process runs at once,
   * shared out over the partition queues (partition-workers.ts): raising it gives a busy partition
   * more than one slot per process.
   */
  workerConcurrency: number;
}

export interface WebServicesConfig {
  codeTtlS: number;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  /** Attempts per event delivery to a subscription target, with exponential backoff from deliveryBackoffMs. */
  deliveryAttempts: number;
  deliveryBackoffMs: number;
  /** Whether subscription targets may be loopback, private or link-local addresses (off: SSRF). */
  allowPrivateTargets: boolean;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const absoluteHttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
  .transform((u) => u.replace(/\/+$/, ''));

const baseSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).optional(),
  PUBLIC_URL: absoluteHttpUrl.optional(),
  // Which of these may go together is checked by topologyFromEnv, with the other problems.
  REDIS_URL: z.string().optional(),
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1, 'must not be empty when set').optional(),
  REDIS_CLUSTER_NODES: z.string().optional(),
  REDIS_USERNAME: z.string().min(1, 'must not be empty when set').optional(),
  REDIS_PASSWORD: z.string().min(1, 'must not be empty when set').optional(),
  REDIS_ACK_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
  // Without REDIS_URL: a private redis-server. `auto` would reuse whatever answers on 6379, whose
  // data (another run's installations, schedules, keys) the demo does not own.
  REDIS_FALLBACK: z.enum(['auto', 'private']).default('private'),
  KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of letters, digits, _ . -')
    .default('sm'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SECRET_KEY: z.string().optional(),
  SECRET_KEYS: z.string().optional(),
  DEMO: z.enum(['true', 'false', '1', '0']).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  OAUTH_STATE_TTL_S: z.coerce.number().int().min(30).max(3600).default(600),
  REFRESH_LOCK_TTL_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  POLL_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).optional(),
  METRICS_PORT: port.default(9464),
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  REDIS_PARTITIONS: z.coerce.number().int().min(1).max(1024).optional(),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  WEBHOOK_ENQUEUE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  WS_CODE_TTL_S: z.coerce.number().int().min(10).max(600).default(600),
  WS_ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(1).max(30 * 86_400).default(86_400),
  WS_REFRESH_TOKEN_TTL_S: z.coerce.number().int().min(60).max(365 * 86_400).default(30 * 86_400),
  WS_DELIVERY_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  WS_DELIVERY_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  WS_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false', '1', '0']).optional(),
  TOKEN_REVOCATION_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  TOKEN_REVOCATION_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  HEALTH_DEGRADED_AFTER: z.coerce.number().int().min(1).max(1000).default(3),
  HEALTH_SUCCESS_RESOLUTION_S: z.coerce.number().int().min(0).max(86_400).default(300),
  SINK_DELIVERY_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  SINK_DELIVERY_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  // Fewer would not hold one busy minute's events; 100 M (~40 GB of streams) is a typo's bound, not a plan.
  EVENT_RETENTION: z.coerce.number().int().min(1_000).max(100_000_000).default(100_000),
  // Past ~1,000 a process's open cloud calls and Redis connections, not this number, are the limit.
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
});

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
}

/**
 * Environment → typed Config. Runs before anything connects; every problem is reported at once,
 * each naming its variable. The mode comes from argv (`serve`, `work`, or `all` when absent).
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  connectors: readonly ConnectorEnvSpec[],
  modeArg?: string,
): Config {
  const problems: string[] = [];
  const parsed = baseSchema.safeParse(env);
  if (!parsed.success) problems.push(...problemsOf(parsed.error));
  const redis = topologyFromEnv(env);
  if ('problems' in redis) problems.push(...redis.problems);

  const credentials: Record<string, ConnectorCredentials> = {};
  let anyConfigured = false;
  for (const spec of connectors) {
    const idVar = `${spec.envPrefix}_CLIENT_ID`;
    const secretVar = `${spec.envPrefix}_CLIENT_SECRET`;
    const urlVar = `${spec.envPrefix}_API_URL`;
    const clientId = env[idVar];
    const apiUrl = absoluteHttpUrl.safeParse(env[urlVar] ?? spec.defaultApiUrl);
    if (!apiUrl.success) problems.push(`${urlVar}: must be an absolute http(s) URL`);
    if (clientId !== undefined && clientId.trim() === '') problems.push(`${idVar}: must not be empty when set`);
    if (clientId && apiUrl.success) {
      anyConfigured = true;
      credentials[spec.name] = { clientId, clientSecret: env[secretVar] || undefined, apiUrl: apiUrl.data };
    }
  }

  let mode: Mode | undefined;
  if (modeArg !== undefined) {
    if (modeArg === 'serve' || modeArg === 'work' || modeArg === 'all') mode = modeArg;
    else problems.push(`mode argument: must be one of serve, work, all (got "${modeArg}")`);
  }

  const keyring = keyringFromEnv(env['SECRET_KEYS'], env['SECRET_KEY'], parseSecretKey);
  if (!parsed.success || problems.length > 0) {
    if (keyring && 'problems' in keyring) problems.push(...keyring.problems);
    throw new ConfigError(problems);
  }
  const v = parsed.data;

  const demo = v.DEMO === undefined ? !anyConfigured : v.DEMO === 'true' || v.DEMO === '1';
  let secretKeys: SecretKeyring | undefined;
  if (keyring && 'problems' in keyring) problems.push(...keyring.problems);
  else if (keyring) secretKeys = keyring.ring;
  else if (!demo) problems.push('SECRET_KEY or SECRET_KEYS: required (32 bytes as hex or base64; e.g. `openssl rand -hex 32`)');
  if (v.ADMIN_TOKEN === undefined && !demo) problems.push('ADMIN_TOKEN: required (at least 16 characters)');
  if (problems.length > 0) throw new ConfigError(problems);
  const ring = secretKeys ?? SecretKeyring.single(randomBytes(32));

  return {
    mode: mode ?? 'all',
    port: v.PORT,
    // The demo has generated secrets and open sign-in pages: reachable from this machine only.
    host: v.HOST ?? (demo ? '127.0.0.1' : '0.0.0.0'),
    publicUrl: v.PUBLIC_URL ?? `http://localhost:${v.PORT}`,
    redisUrl: v.REDIS_URL,
    redisTopology: 'topology' in redis ? redis.topology : undefined,
    redisAckReplicas: v.REDIS_ACK_REPLICAS,
    redisFallback: v.REDIS_FALLBACK,
    keyPrefix: v.KEY_PREFIX,
    redisPartitions: v.REDIS_PARTITIONS,
    adminToken: v.ADMIN_TOKEN ?? randomBytes(24).toString('base64url'),
    secretKey: ring.primaryKey,
    secretKeys: ring,
    demo,
    generated: { adminToken: v.ADMIN_TOKEN === undefined, secretKey: v.SECRET_KEY === undefined && v.SECRET_KEYS === undefined },
    logLevel: v.LOG_LEVEL,
    httpTimeoutMs: v.HTTP_TIMEOUT_MS,
    stateTtlS: v.OAUTH_STATE_TTL_S,
    // Three attempts with their timeouts and backoff (≤ 5.25 s) must fit inside the lock.
    refreshLockTtlMs: v.REFRESH_LOCK_TTL_MS ?? 3 * v.HTTP_TIMEOUT_MS + 10_000,
    pollIntervalS: v.POLL_INTERVAL_S,
    metricsPort: v.METRICS_PORT,
    trustProxy: v.TRUST_PROXY,
    metricsToken: v.METRICS_TOKEN,
    redisCommandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
    webhookEnqueueTimeoutMs: v.WEBHOOK_ENQUEUE_TIMEOUT_MS,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    connectors: credentials,
    tokenRevocation: { attempts: v.TOKEN_REVOCATION_ATTEMPTS, backoffMs: v.TOKEN_REVOCATION_BACKOFF_MS },
    webServices: {
      codeTtlS: v.WS_CODE_TTL_S,
      accessTokenTtlS: v.WS_ACCESS_TOKEN_TTL_S,
      refreshTokenTtlS: v.WS_REFRESH_TOKEN_TTL_S,
      deliveryAttempts: v.WS_DELIVERY_ATTEMPTS,
      deliveryBackoffMs: v.WS_DELIVERY_BACKOFF_MS,
      allowPrivateTargets: v.WS_ALLOW_PRIVATE_TARGETS === 'true' || v.WS_ALLOW_PRIVATE_TARGETS === '1',
    },
    health: { degradedAfter: v.HEALTH_DEGRADED_AFTER, successResolutionMs: v.HEALTH_SUCCESS_RESOLUTION_S * 1000 },
    eventSinks: { attempts: v.SINK_DELIVERY_ATTEMPTS, backoffMs: v.SINK_DELIVERY_BACKOFF_MS },
    eventRetention: v.EVENT_RETENTION,
    workerConcurrency: v.WORKER_CONCURRENCY,
  };
}

import type { Redis } from 'ioredis';
import { RedisConnections, UnsupportedTopologyError, assertTopologySupported } from '../redis/connections';
import { topologyFromEnv, type TopologyEnv } from '../redis/topology';
import { parseSecretKey } from '../secret-key';
import { keyringFromEnv } from '../secrets/keyring';

/** One finding: `fix` must be dealt with before production (exit 1), `warn` should be looked at. */
export interface Finding {
  level: 'ok' | 'warn' | 'fix';
  check: string;
  message: string;
}

/** Past this, BullMQ's delayed jobs and the token expiry checks run early or late by as much. */
export const MAX_CLOCK_SKEW_MS = 2_000;

/** SECRET_KEY (one 32-byte key) or SECRET_KEYS (`<id>:<key>,…`, the first encrypts), read as the service reads them. */
export function checkKeys(env: Record<string, string | undefined>): Finding[] {
  const check = 'keys';
  const parsed = keyringFromEnv(env['SECRET_KEYS'], env['SECRET_KEY'], parseSecretKey);
  if (parsed === undefined) {
    return [{ level: 'fix', check, message: 'neither SECRET_KEY nor SECRET_KEYS is set: stored cloud tokens cannot be encrypted (e.g. SECRET_KEY=$(openssl rand -hex 32))' }];
  }
  if ('problems' in parsed) return [{ level: 'fix', check, message: parsed.problems.join('; ') }];
  const ids = parsed.ring.ids;
  return [{ level: 'ok', check, message: `${ids.length} key(s); "${parsed.ring.primaryId}" encrypts` }];
}

/** Parses INFO text into field → value. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** AOF keeps every acknowledged webhook and job; RDB alone loses the writes since the last snapshot. */
export function checkPersistence(info: Map<string, string>, saveRules: string | undefined): Finding {
  const check = 'persistence';
  if (info.get('aof_enabled') === '1') return { level: 'ok', check, message: 'AOF is on' };
  const rdb = saveRules === undefined ? 'unknown (CONFIG GET save refused)' : saveRules.trim() === '' ? 'off' : `"${saveRules}"`;
  if (saveRules !== undefined && saveRules.trim() === '') {
    return { level: 'fix', check, message: 'neither AOF nor RDB is on: a Redis restart loses every installation, token and queued job (set appendonly yes, appendfsync everysec)' };
  }
  return { level: 'warn', check, message: `AOF is off, RDB snapshots ${rdb}: a crash loses the writes since the last snapshot (set appendonly yes)` };
}

export function checkEviction(info: Map<string, string>): Finding {
  const policy = info.get('maxmemory_policy');
  const check = 'maxmemory-policy';
  if (policy === undefined) return { level: 'warn', check, message: 'not reported by INFO memory: make sure it is noeviction' };
  return policy === 'noeviction'
    ? { level: 'ok', check, message: 'noeviction' }
    : { level: 'fix', check, message: `is ${policy}: Redis may evict queue and installation keys under memory pressure; BullMQ needs noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf)` };
}

/** Skew from Redis TIME, measured at the midpoint of the round trip. */
export function checkClock(redisMs: number, sentAt: number, receivedAt: number): Finding {
  const skew = Math.round(redisMs - (sentAt + receivedAt) / 2);
  const message = `this machine is ${Math.abs(skew)} ms ${skew > 0 ? 'behind' : 'ahead of'} Redis`;
  return Math.abs(skew) > MAX_CLOCK_SKEW_MS
    ? { level: 'fix', check: 'clock', message: `${message} (more than ${MAX_CLOCK_SKEW_MS} ms): run NTP (chrony, systemd-timesyncd) on both` }
    : { level: 'ok', check: 'clock', message };
}

/**
 * Behind Sentinel, acknowledging on the primary alone is loss-free across a failover only when the
 * servers refuse writes without a replica: a crashed primary restarted before every sentinel has
 * switched otherwise takes writes until it is demoted, and loses them (the failover fault test saw
 * it). `WAIT` (REDIS_ACK_REPLICAS ≥ 1) guards the same on our side.
 */
export function checkFailoverSafety(sentinel: boolean, ackReplicas: number, minReplicasToWrite: number | undefined): Finding | undefined {
  if (!sentinel) return undefined;
  const check = 'failover';
  if (ackReplicas >= 1) return { level: 'ok', check, message: `REDIS_ACK_REPLICAS=${ackReplicas}: an acknowledged webhook is on a replica too` };
  if (minReplicasToWrite !== undefined && minReplicasToWrite >= 1) return { level: 'ok', check, message: `min-replicas-to-write ${minReplicasToWrite}: a primary without a replica refuses writes` };
  return {
    level: 'warn',
    check,
    message: 'behind Sentinel with REDIS_ACK_REPLICAS=0 and min-replicas-to-write 0 (or unreadable), a restarted old primary can take acknowledged webhooks and lose them: set min-replicas-to-write 1 on every data server, or REDIS_ACK_REPLICAS=1',
  };
}

async function checkRedis(redis: Redis, where: string, failover?: { sentinel: boolean; ackReplicas: number }): Promise<Finding[]> {
  const out: Finding[] = [];
  // The command fails with "Connection is closed"; the connection's own error says why.
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await redis.ping();
  } catch (err) {
    const reason = (cause ?? (err as Error)).message;
    return [{ level: 'fix', check: 'redis', message: `${where} does not answer (${reason}): check REDIS_URL / REDIS_SENTINELS, the network and the password` }];
  }
  out.push({ level: 'ok', check: 'redis', message: `${where} answers` });
  const info = parseInfo(`${await redis.info('persistence')}\n${await redis.info('memory')}`);
  // Managed Redis often refuses CONFIG; INFO still says whether AOF is on.
  const save = await (redis.config('GET', 'save') as Promise<string[]>).then((r) => r[1], () => undefined);
  out.push(checkPersistence(info, save));
  out.push(checkEviction(info));
  const sentAt = Date.now();
  const [seconds, micros] = (await redis.time()) as [string | number, string | number];
  out.push(checkClock(Number(seconds) * 1000 + Number(micros) / 1000, sentAt, Date.now()));
  if (failover) {
    const min = await (redis.config('GET', 'min-replicas-to-write') as Promise<string[]>).then((r) => (r[1] === undefined ? undefined : Number(r[1])), () => undefined);
    const finding = checkFailoverSafety(failover.sentinel, failover.ackReplicas, min);
    if (finding) out.push(finding);
  }
  return out;
}

/** Every check against `env`; Redis is asked only when one is configured. */
export async function runChecks(env: Record<string, string | undefined>): Promise<Finding[]> {
  const findings = checkKeys(env);
  const topology = topologyFromEnv(env as TopologyEnv);
  if ('problems' in topology) return [...findings, ...topology.problems.map((p): Finding => ({ level: 'fix', check: 'redis', message: p }))];
  if (!topology.topology) {
    return [...findings, { level: 'fix', check: 'redis', message: 'no Redis configured: set REDIS_URL (or REDIS_SENTINELS); only the demo starts a Redis of its own' }];
  }
  let connections: RedisConnections;
  try {
    assertTopologySupported(topology.topology);
    connections = new RedisConnections(topology.topology, { commandTimeoutMs: 2_000 });
  } catch (err) {
    if (err instanceof UnsupportedTopologyError) return [...findings, { level: 'fix', check: 'redis', message: err.message }];
    throw err;
  }
  // One attempt: a doctor reports an unreachable Redis rather than waiting for it.
  const redis = connections.create('tool', { retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: true });
  redis.on('error', () => undefined);
  try {
    const failover = { sentinel: topology.topology.kind === 'sentinel', ackReplicas: Number(env['REDIS_ACK_REPLICAS'] ?? 0) || 0 };
    return [...findings, ...(await checkRedis(redis, `Redis (${connections.describe()})`, failover))];
  } finally {
    redis.disconnect();
  }
}

const MARK = { ok: 'ok  ', warn: 'warn', fix: 'FIX ' } as const;

export function report(findings: readonly Finding[]): { text: string; code: number } {
  const lines = findings.map((f) => `${MARK[f.level]}  ${f.check}: ${f.message}`);
  const toFix = findings.filter((f) => f.level === 'fix').length;
  lines.push('', toFix === 0 ? 'doctor: nothing must be fixed' : `doctor: ${toFix} thing(s) must be fixed (FIX above)`);
  return { text: `${lines.join('\n')}\n`, code: toFix === 0 ? 0 : 1 };
}

/** `service-manager doctor`: exit 0 when nothing must be fixed, 1 otherwise. */
export async function doctor(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write('usage: service-manager doctor   (reads the same environment as the host)\n');
    return 2;
  }
  const { text, code } = report(await runChecks(process.env));
  process.stdout.write(text);
  return code;
}

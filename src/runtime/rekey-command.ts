import { parseArgs } from 'node:util';
import { ProviderTokenStore } from '../cloud';
import { loadConnectors } from '../connectors';
import { SinkStore, SubscriptionStore } from '../webservices';
import { ConfigError, loadConfig } from './config';
import { createKeys } from './redis/keys';
import { ensureLayout, LayoutMismatchError } from './redis/layout';
import { layoutMigrations } from './build-services';
import { RedisConnections, UnsupportedTopologyError, assertTopologySupported, whenReady } from './redis/connections';
import { rekeyFamilies, type RekeyProgress } from './secrets/rekey';
import { RedisRekeyCheckpoints } from './secrets/rekey-checkpoints';

export interface RekeyIo {
  /** The final count. */
  out: (line: string) => void;
  /** Why it stopped (usage, configuration, Redis), and the unreadable warning. */
  err: (line: string) => void;
  /** Progress: rewritten in place on a terminal, one line per finished family otherwise. */
  progress: NodeJS.WriteStream | { isTTY?: boolean; write(chunk: string): unknown };
}

const USAGE = 'usage: rekey [--batch-size N]   (re-encrypts every stored secret under the first key of SECRET_KEYS)';

/**
 * `service-manager rekey` / `npm run rekey`: re-encrypts every stored secret (provider tokens,
 * Web Services subscription secrets) under the first key of SECRET_KEYS, with the environment
 * the service runs with. Exit codes: 0 done (also when there was nothing to do), 1 Redis
 * unreachable or a failure mid-way (run it again: it resumes), 2 usage or configuration error.
 */
export async function rekeyCommand(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  io: RekeyIo = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`), progress: process.stderr },
): Promise<number> {
  let batchSize = 500;
  try {
    const { values } = parseArgs({ args: argv, options: { 'batch-size': { type: 'string' } }, strict: true });
    if (values['batch-size'] !== undefined) {
      batchSize = Number(values['batch-size']);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('--batch-size must be an integer from 1 to 10000');
    }
  } catch (err) {
    io.err(`rekey: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  const definitions = await loadConnectors();
  let config;
  try {
    config = loadConfig(env, [...definitions.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })));
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`rekey: ${err.message}`);
      return 2;
    }
    throw err;
  }
  // A key made up for this run would seal every secret under a key nobody has: refuse.
  if (config.generated.secretKey) {
    io.err('rekey: SECRET_KEYS (or SECRET_KEY) must be set to the keys the service runs with');
    return 2;
  }
  if (!config.redisTopology) {
    io.err('rekey: REDIS_URL (or REDIS_SENTINELS) must name the Redis the service uses');
    return 2;
  }
  let connections: RedisConnections;
  try {
    assertTopologySupported(config.redisTopology);
    connections = new RedisConnections(config.redisTopology, { commandTimeoutMs: Math.max(config.redisCommandTimeoutMs, 10_000) });
  } catch (err) {
    if (err instanceof UnsupportedTopologyError) {
      io.err(`rekey: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const redis = connections.create('request');
  redis.on('error', () => undefined);
  try {
    try {
      await whenReady(redis, { timeoutMs: 5_000 });
    } catch {
      io.err(`rekey: Redis is not reachable at ${connections.describe()}`);
      return 1;
    }
    // Token keys live in the installations' partitions: the layout recorded with the data says how many.
    let layout;
    try {
      layout = await ensureLayout(redis, config.keyPrefix, config.redisPartitions, layoutMigrations(config.keyPrefix));
    } catch (err) {
      if (err instanceof LayoutMismatchError) {
        io.err(`rekey: ${err.message}`);
        return 2;
      }
      throw err;
    }
    const keys = createKeys(config.keyPrefix, layout.partitions);
    const ring = config.secretKeys;
    const started = Date.now();
    const show = progressLine(io.progress, started);
    const total = await rekeyFamilies(
      ring,
      [
        { name: 'provider tokens', store: new ProviderTokenStore(redis, keys, ring) },
        { name: 'subscription secrets', store: new SubscriptionStore(redis, keys, ring) },
        { name: 'event sink secrets', store: new SinkStore(redis, keys, ring) },
      ],
      new RedisRekeyCheckpoints(redis, `${keys.prefix}:rekey:checkpoints`),
      { batchSize, onProgress: show },
    );
    const seconds = (Date.now() - started) / 1000;
    io.out(
      `rekey: ${total.rekeyed} secret(s) re-encrypted under key "${ring.primaryId}" in ${seconds.toFixed(1)} s ` +
        `(${total.scanned} scanned, ${total.current} already current, ${total.changed} rewritten by the service meanwhile, ${total.unreadable} unreadable)`,
    );
    if (total.unreadable > 0) {
      io.err(`rekey: ${total.unreadable} secret(s) open with no configured key; their installations will ask to be linked again (reason secret_unreadable)`);
    }
    return 0;
  } catch (err) {
    io.err(`rekey: stopped: ${(err as Error).message}; run it again to resume`);
    return 1;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

function progressLine(stream: RekeyIo['progress'], started: number): (p: RekeyProgress) => void {
  return (p) => {
    const rate = Math.round(p.scanned / Math.max(0.001, (Date.now() - started) / 1000));
    const text = `${p.family}: ${p.scanned} scanned, ${p.rekeyed} re-encrypted, ${p.current} current (${rate}/s)`;
    if (stream.isTTY) stream.write(`\r\x1b[2K${text}${p.done ? '\n' : ''}`);
    else if (p.done) stream.write(`${text}\n`);
  };
}

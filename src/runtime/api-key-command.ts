import { parseArgs } from 'node:util';
import { API_KEY_SCOPES, ApiKeyStore, type ApiKeyScope } from '../operator';
import { loadConnectors } from '../connectors';
import { ConfigError, loadConfig } from './config';
import { RedisConnections, UnsupportedTopologyError, assertTopologySupported, whenReady } from './redis/connections';
import { createKeys } from './redis/keys';

export interface CommandIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => Date;
}

const defaultIo: CommandIo = {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
};

const USAGE = `usage:
  api-key create --name <name> --scope read|full   prints the new key once (stdout)
  api-key revoke <id>                              the key stops working at once
  api-key list                                     id, name, scope, created, revoked
Uses the service's own environment (REDIS_URL or REDIS_SENTINELS, KEY_PREFIX, ...).`;

/**
 * `service-manager api-key create|revoke|list` (also `npm run api-key -- …`). Exit codes: 0 done,
 * 1 the key to revoke does not exist (or was revoked already) or Redis is unreachable, 2 a usage or
 * configuration error.
 */
export async function apiKeyCommand(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { name: { type: 'string' }, scope: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  const { name, scope, help } = parsed.values;
  if (help) {
    io.out(USAGE);
    return 0;
  }
  const usage = (problem: string) => {
    io.err(`${problem}\n${USAGE}`);
    return 2;
  };
  if (command === 'create') {
    if (name === undefined || name.trim() === '' || name.length > 100) return usage('--name is required (1-100 characters).');
    if (!API_KEY_SCOPES.includes(scope as ApiKeyScope)) return usage('--scope must be read or full.');
    if (rest.length > 0) return usage(`unexpected: ${rest.join(' ')}`);
  } else if (command === 'revoke') {
    if (rest.length !== 1) return usage('revoke takes one key id.');
  } else if (command === 'list') {
    if (rest.length > 0) return usage(`unexpected: ${rest.join(' ')}`);
  } else {
    return usage(command === undefined ? 'a command is required.' : `unknown command "${command}".`);
  }

  let config;
  try {
    const definitions = await loadConnectors();
    config = loadConfig(io.env, [...definitions.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })));
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 2;
    }
    throw err;
  }
  if (!config.redisTopology) {
    io.err("api-key writes to the service's Redis: set REDIS_URL (or REDIS_SENTINELS) and KEY_PREFIX as the service has them.");
    return 2;
  }
  try {
    assertTopologySupported(config.redisTopology);
  } catch (err) {
    if (err instanceof UnsupportedTopologyError) {
      io.err(`api-key: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const redis = new RedisConnections(config.redisTopology, { commandTimeoutMs: config.redisCommandTimeoutMs }).create('tool');
  redis.on('error', () => undefined); // reported below, once, by whenReady
  try {
    try {
      await whenReady(redis, { timeoutMs: 5_000 });
    } catch {
      io.err('Redis is not reachable.');
      return 1;
    }
    const store = new ApiKeyStore(redis, createKeys(config.keyPrefix));
    if (command === 'create') {
      const { apiKey, key } = await store.create({ name: (name ?? '').trim(), scope: scope as ApiKeyScope }, io.now());
      // The key alone on stdout (for `KEY=$(…)`), what it is on stderr: it is shown this once.
      io.err(`API key ${apiKey.id} "${apiKey.name}" (${apiKey.scope}) created. Use it as "Authorization: Bearer <key>"; it is not shown again.`);
      io.out(key);
      return 0;
    }
    if (command === 'revoke') {
      const id = rest[0] ?? '';
      if (!(await store.revoke(id, io.now()))) {
        io.err(`No live API key ${id} (unknown, or revoked already).`);
        return 1;
      }
      io.err(`API key ${id} revoked.`);
      return 0;
    }
    let cursor: string | undefined;
    do {
      const page = await store.page(cursor, 500);
      for (const k of page.items) io.out([k.id, k.scope, k.createdAt, k.revokedAt ? `revoked ${k.revokedAt}` : 'live', k.name].join('\t'));
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return 0;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

import { realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config';
import { ConnectorLoadError, loadConnectors } from '../connectors';
import type { RunningFake } from '../connectors';
import { createDemoInstallations, demoBanner } from './demo';
import { createApp } from './http/app';
import { createLogger } from './logging/logger';
import { buildServices, enableConnectors, layoutMigrations } from './build-services';
import { RedisUnavailableError, resolveRedis, type RedisEndpoint } from './redis-bootstrap';
import { DrainGate, Shutdown } from './shutdown';
import { Metrics } from './metrics/metrics';
import { startMetricsServer } from './metrics/server';
import { startWorkers } from './workers';
import { repairPollSchedules } from '../sync';
import { checkPort, listenProblem } from './port-check';
import { describeTopology } from './redis/topology';
import { RedisConnections, UnsupportedTopologyError, assertTopologySupported, whenReady } from './redis/connections';
import type { RedisTopology } from './redis/topology';
import { ensureLayout, LayoutMismatchError } from './redis/layout';
import { DEFAULT_PARTITION_COUNT } from './redis/partitions';

/** Cleanup steps run in reverse order of start; every step runs even if one fails. */
const cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
/** Synchronous last resorts when the drain cannot finish: drop sockets; exit kills a private redis-server. */
const forced: Array<() => void> = [];

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function startFakes(config: Config, definitions: Awaited<ReturnType<typeof loadConnectors>>): Promise<Map<string, RunningFake>> {
  const fakes = new Map<string, RunningFake>();
  for (const [name, definition] of definitions) {
    if (config.connectors[name] || !definition.startFake) continue;
    const fake = await definition.startFake();
    fakes.set(name, fake);
    config.connectors[name] = { clientId: fake.clientId, clientSecret: fake.clientSecret, apiUrl: fake.url };
    cleanups.push({ name: `fake ${name}`, run: () => fake.stop() });
  }
  return fakes;
}

export interface HostOptions {
  /** `serve`, `work` or `all` (the default); anything else is a configuration error (exit 2). */
  mode?: string | undefined;
  /** Where connector folders are found (the compiled build's own, when run from dist/). */
  connectorsDir?: string | undefined;
}

/**
 * Starts the host and/or workers and returns once they run; the process then lives until a signal
 * (the shutdown handler exits it). A start-up failure exits the process with its code.
 */
export async function main(options: HostOptions = {}): Promise<void> {
  let definitions;
  try {
    definitions = await loadConnectors(options.connectorsDir);
  } catch (err) {
    if (err instanceof ConnectorLoadError) fail(err.message, 1);
    throw err;
  }
  let config: Config;
  try {
    config = loadConfig(
      process.env,
      [...definitions.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })),
      options.mode,
    );
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  // Before anything starts: a topology we cannot run on is a configuration error (exit 2).
  if (config.redisTopology) {
    try {
      assertTopologySupported(config.redisTopology);
    } catch (err) {
      if (err instanceof UnsupportedTopologyError) fail(err.message, 2);
      throw err;
    }
  }
  // Before anything starts (a private redis-server, fake clouds, workers): a port we cannot
  // listen on is one line and exit 1, with nothing to clean up.
  const listenOn = config.mode === 'work' ? { port: config.metricsPort, variable: 'METRICS_PORT' } : { port: config.port, variable: 'PORT' };
  const portProblem = await checkPort(listenOn.port, config.host, listenOn.variable);
  if (portProblem) fail(portProblem, 1);
  const log = createLogger(config.logLevel);

  // Installed before anything starts, so a signal during start-up is honoured too (the steps
  // registered so far run). The gate is in front of the HTTP app once it listens.
  const gate = new DrainGate();
  const shutdown = new Shutdown({
    steps: cleanups,
    timeoutMs: config.shutdownTimeoutMs,
    log,
    onDrain: () => gate.start(),
    force: () => {
      for (const step of forced.reverse()) {
        try {
          step();
        } catch {
          // exiting anyway
        }
      }
    },
    exit: (code) => process.exit(code),
  });
  shutdown.trap();

  const fakes = config.demo ? await startFakes(config, definitions) : new Map<string, RunningFake>();

  // REDIS_URL, REDIS_SENTINELS or (refused above) REDIS_CLUSTER_NODES; with none, a private
  // redis-server (REDIS_FALLBACK=auto: whatever answers on 6379 first).
  let topology: RedisTopology;
  let redisInBanner: string;
  if (config.redisTopology) {
    topology = config.redisTopology;
    redisInBanner = describeTopology(topology);
    log.info({ redis: 'configured' }, 'redis selected');
  } else {
    let endpoint: RedisEndpoint;
    try {
      endpoint = await resolveRedis(undefined, config.redisFallback);
    } catch (err) {
      if (err instanceof RedisUnavailableError) fail(err.message, 1);
      throw err;
    }
    if (endpoint.stop) { const stopRedis = endpoint.stop; cleanups.push({ name: 'private redis-server', run: () => stopRedis() }); }
    log.info({ redis: endpoint.origin }, 'redis selected');
    topology = { kind: 'single', url: endpoint.url };
    redisInBanner = endpoint.origin === 'private' ? `${describeTopology(topology)}, a private redis-server removed on exit` : describeTopology(topology);
  }
  const connections = new RedisConnections(topology, { commandTimeoutMs: config.redisCommandTimeoutMs });

  // The request-path client: no offline queue (a command while no primary is reachable fails at
  // once, 503), every command bounded. BullMQ workers and the fan-out's XREAD use connections of
  // their own, without a command timeout.
  const redis = connections.create('request');
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  cleanups.push({ name: 'redis', run: async () => void (await redis.quit().catch(() => redis.disconnect())) });
  forced.push(() => redis.disconnect());
  // Without an offline queue the client refuses commands until it is connected. A short wait keeps
  // the first requests from racing the connect; past it the host starts anyway and answers 503
  // (readyz too) until Redis is there, as it does during any later outage.
  const connected = await whenReady(redis, { timeoutMs: 5_000 }).then(() => true, () => false);
  if (connected) log.info({ redis: connections.describe(), keyPrefix: config.keyPrefix }, 'redis connected');
  else log.warn({ redis: connections.describe() }, 'redis not reachable yet: serving 503 until it is');

  // Where the data lives: the key layout and partitions recorded with it (layout 1 data is migrated
  // here). Not reachable yet: start with REDIS_PARTITIONS (else 16) and check once it is.
  const layout = connected ? await ensureLayout(redis, config.keyPrefix, config.redisPartitions, layoutMigrations(config.keyPrefix)).catch((err: unknown) => err as Error) : undefined;
  if (layout instanceof LayoutMismatchError) {
    process.stderr.write(`${layout.message}\n`);
    return shutdown.abort(2);
  }
  if (layout instanceof Error) log.warn({ err: layout.message }, 'key layout not checked yet: Redis failed; checked again when it is back');
  else if (layout) log.info({ layout: layout.version, partitions: layout.partitions, migratedKeys: layout.migratedKeys }, layout.created ? 'key layout recorded' : 'key layout checked');
  const partitions = layout && !(layout instanceof Error) ? layout.partitions : config.redisPartitions;
  if (!layout || layout instanceof Error) {
    const recheck = (): void => {
      // The keys were built for this number already: a different recorded one is refused.
      ensureLayout(redis, config.keyPrefix, partitions ?? DEFAULT_PARTITION_COUNT, layoutMigrations(config.keyPrefix)).then(
        (later) => log.info({ layout: later.version, partitions: later.partitions, migratedKeys: later.migratedKeys }, 'key layout checked'),
        (err: unknown) => {
          if (!(err instanceof LayoutMismatchError)) return void setTimeout(recheck, 1_000).unref();
          process.stderr.write(`${err.message}\nThis process started while Redis was unreachable and built its keys for ${partitions ?? DEFAULT_PARTITION_COUNT} partitions; restart it.\n`);
          shutdown.abort(2);
        },
      );
    };
    redis.once('ready', recheck);
  }

  const services = buildServices({
    config,
    log,
    redis,
    connections,
    connectors: enableConnectors(definitions, config),
    metrics: new Metrics({ defaults: true }),
    ...(partitions !== undefined ? { partitions } : {}),
  });
  if (services.connectors.size === 0) log.warn('no connector is enabled: set <NAME>_CLIENT_ID, or run in demo mode');

  cleanups.push({ name: 'poll queue', run: () => services.scheduler.close() });
  cleanups.push({ name: 'webhook queue', run: () => services.webhooks.close() });
  cleanups.push({ name: 'token revocation queue', run: () => services.revocations.close() });
  cleanups.push({ name: 'catch-up timer', run: async () => services.missedDeliveries.close() });
  cleanups.push({ name: 'callback-token invalidations', run: () => services.callbackTokens.close() });

  if (config.mode !== 'serve') {
    const workers = startWorkers(services, { concurrency: config.workerConcurrency });
    cleanups.push({ name: 'workers', run: () => workers.close() });
    log.info({ mode: config.mode }, 'workers started');
    // Whatever the last process (or a crash, or an old snapshot) left: one schedule per linked installation.
    void whenReady(redis)
      .then(() => repairPollSchedules(services))
      .then(
        (repair) => log.info(repair, 'poll schedules checked'),
        (err: unknown) => log.warn({ err: (err as Error).message }, 'poll schedule repair failed; it runs again at the next start'),
      );
  }

  if (config.mode === 'work') {
    const metricsServer = await startMetricsServer(services, config.metricsPort, config.host).catch((err: unknown) => err as Error);
    if (metricsServer instanceof Error) {
      // Lost the race since checkPort: the same line, and what started is stopped.
      process.stderr.write(`${listenProblem(metricsServer, config.metricsPort, config.host, 'METRICS_PORT') ?? `fatal: ${metricsServer.message}`}\n`);
      return shutdown.abort(1);
    }
    cleanups.push({ name: 'metrics server', run: () => metricsServer.close() });
    log.info({ url: `${metricsServer.url}/metrics` }, 'worker metrics listening');
  }

  if (config.mode !== 'work') {
    const app = createApp(services);
    const server: Server = createServer(gate.wrap(app.callback()));
    const listenError = await new Promise<Error | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen(config.port, config.host, () => resolve(undefined));
    });
    if (listenError) {
      // Lost the race since checkPort: the same line, and what started is stopped.
      process.stderr.write(`${listenProblem(listenError, config.port, config.host, 'PORT') ?? `fatal: ${listenError.message}`}\n`);
      return shutdown.abort(1);
    }
    // Registered first, so it runs last: the listener answers probes (503) while the rest drains.
    cleanups.unshift({
      name: 'http server',
      run: () => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    });
    // Requests already running finish before anything they use is closed.
    cleanups.push({ name: 'requests in flight', run: () => gate.idle() });
    forced.push(() => server.closeAllConnections());
    log.info({ port: config.port, publicUrl: config.publicUrl, mode: config.mode }, 'host listening');
  }

  if (config.demo && config.mode !== 'work') {
    await whenReady(redis, { onWaiting: (ms) => log.warn({ redis: connections.describe(), waitedMs: ms }, 'waiting for Redis') });
    const installs = await createDemoInstallations(services);
    process.stdout.write(demoBanner({ config, redis: redisInBanner, installs, titles: definitions, hints: new Map([...fakes].map(([name, fake]) => [name, fake.loginHint])) }));
  }
}

export function runHost(options: HostOptions = {}): Promise<void> {
  return main(options).catch((err: unknown) => {
    process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

// Run as a script (`tsx src/runtime/main.ts [mode]`, as some tests do). The CLI imports this module
// instead and calls runHost; compiled, this module is a chunk of its own, never the script itself.
const script = process.argv[1];
if (script !== undefined && import.meta.filename === realpathSync.native(script)) void runHost({ mode: process.argv[2] });

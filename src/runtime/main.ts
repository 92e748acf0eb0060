import { createServer, type Server } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config';
import { ConnectorLoadError, loadConnectors } from '../connectors';
import type { RunningFake } from '../connectors';
import { createDemoInstallations } from './demo';
import { createApp } from './http/app';
import { createLogger } from './logging/logger';
import { buildServices, enableConnectors } from './build-services';
import { RedisUnavailableError, resolveRedis, type RedisEndpoint } from './redis-bootstrap';
import { DrainGate, Shutdown } from './shutdown';
import { Metrics } from './metrics/metrics';
import { startMetricsServer } from './metrics/server';
import { startWorkers } from './workers';
import { RedisConnections, UnsupportedTopologyError, assertTopologySupported, whenReady } from './redis/connections';
import type { RedisTopology } from './redis/topology';

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

async function main(): Promise<void> {
  let definitions;
  try {
    definitions = await loadConnectors();
  } catch (err) {
    if (err instanceof ConnectorLoadError) fail(err.message, 1);
    throw err;
  }
  let config: Config;
  try {
    config = loadConfig(
      process.env,
      [...definitions.values()].map((d) => ({ name: d.name, envPrefix: d.envPrefix, defaultApiUrl: d.defaultApiUrl })),
      process.argv[2],
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

  // REDIS_URL, REDIS_SENTINELS or (refused above) REDIS_CLUSTER_NODES; with none, the demo's
  // fallback: whatever answers on 6379, else a private redis-server.
  let topology: RedisTopology;
  if (config.redisTopology) {
    topology = config.redisTopology;
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
  if (connected) log.info({ redis: connections.describe() }, 'redis connected');
  else log.warn({ redis: connections.describe() }, 'redis not reachable yet: serving 503 until it is');

  const services = buildServices({
    config,
    log,
    redis,
    connections,
    connectors: enableConnectors(definitions, config),
    metrics: new Metrics({ defaults: true }),
  });
  if (services.connectors.size === 0) log.warn('no connector is enabled: set <NAME>_CLIENT_ID, or run in demo mode');

  cleanups.push({ name: 'poll queue', run: () => services.scheduler.close() });
  cleanups.push({ name: 'webhook queue', run: () => services.webhooks.close() });
  cleanups.push({ name: 'catch-up timer', run: async () => services.missedDeliveries.close() });
  cleanups.push({ name: 'callback-token invalidations', run: () => services.callbackTokens.close() });

  if (config.mode !== 'serve') {
    const workers = startWorkers(services);
    cleanups.push({ name: 'workers', run: () => workers.close() });
    log.info({ mode: config.mode }, 'workers started');
  }

  if (config.mode === 'work') {
    const metricsServer = await startMetricsServer(services, config.metricsPort, config.host);
    cleanups.push({ name: 'metrics server', run: () => metricsServer.close() });
    log.info({ url: `${metricsServer.url}/metrics` }, 'worker metrics listening');
  }

  if (config.mode !== 'work') {
    const app = createApp(services);
    const server: Server = createServer(gate.wrap(app.callback()));
    await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
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
    const lines = ['', '  Demo mode: no connector credentials were given, so each connector talks to its fake cloud.'];
    if (config.generated.adminToken) lines.push(`  Admin API token (generated for this run): ${config.adminToken}`);
    for (const inst of installs) {
      const title = definitions.get(inst.connector)?.title ?? inst.connector;
      lines.push('', `  ${title}: open this link in a browser to link the demo account:`, `    ${inst.setupUrl}`);
      // Each fake says who may sign in at it (RunningFake.loginHint).
      const hint = fakes.get(inst.connector)?.loginHint;
      if (hint) lines.push(`    At the fake sign-in page: ${hint}.`);
    }
    lines.push('', '  Stop with Ctrl-C.', '');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConnectors } from '../../src/connectors/registry';
import type { HostCore } from './host';

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the process printed "workers ready". */
  ready: Promise<void>;
  /** Kills with SIGKILL: no cleanup runs, locks stay held, active jobs stall. */
  kill(): Promise<void>;
  /** SIGTERM: graceful close. */
  stop(): Promise<void>;
  /** stderr so far, for failure messages. */
  stderr(): string;
}

/**
 * Starts the real workers in a child process against the same Redis, key prefix, secret key and
 * fake clouds as `host`. `env` adds or overrides variables (e.g. WORKER_LOCK_MS).
 */
export async function spawnWorkerProcess(host: HostCore, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const config = host.config;
  const definitions = await loadConnectors();
  const connectorEnv: Record<string, string> = {};
  for (const [name, c] of Object.entries(config.connectors)) {
    if (!c) continue;
    const prefix = definitions.get(name)?.envPrefix ?? name.toUpperCase();
    connectorEnv[`${prefix}_CLIENT_ID`] = c.clientId;
    connectorEnv[`${prefix}_API_URL`] = c.apiUrl;
    if (c.clientSecret) connectorEnv[`${prefix}_CLIENT_SECRET`] = c.clientSecret;
  }
  // node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a grandchild, so a
  // SIGKILL would hit only the wrapper and leave the real worker running.
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      REDIS_URL: config.redisUrl ?? '',
      KEY_PREFIX: config.keyPrefix,
      ADMIN_TOKEN: config.adminToken,
      SECRET_KEY: config.secretKey.toString('hex'),
      PUBLIC_URL: config.publicUrl,
      HTTP_TIMEOUT_MS: String(config.httpTimeoutMs),
      LOG_LEVEL: 'warn',
      DEMO: 'false',
      ...(config.pollIntervalS !== undefined ? { POLL_INTERVAL_S: String(config.pollIntervalS) } : {}),
      ...connectorEnv,
      ...env,
    },
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('workers ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready: ${stderr.slice(-2_000)}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    stderr: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

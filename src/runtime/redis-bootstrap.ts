import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisEndpoint {
  url: string;
  /** Set when we started a private redis-server; stops it and removes its folder. */
  stop?: () => Promise<void>;
  origin: 'configured' | 'default-port' | 'private';
}

export class RedisUnavailableError extends Error {
  constructor() {
    super(
      [
        'No Redis found: REDIS_URL is not set and redis-server is not on PATH (the demo starts a private one).',
        'Get Redis in one of these ways, then run again:',
        '  docker compose up -d redis           (uses this repository\'s docker-compose.yml)',
        '  sudo apt-get install redis-server     (Debian/Ubuntu)   |   brew install redis   (macOS)',
        'or point REDIS_URL at an existing server, e.g. REDIS_URL=redis://127.0.0.1:6379',
      ].join('\n'),
    );
    this.name = 'RedisUnavailableError';
  }
}

export async function pingRedis(url: string, timeoutMs = 500): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function onPath(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** Starts redis-server on a free loopback port with persistence off, in a temporary folder. */
export async function startPrivateRedis(options: { appendOnly?: boolean; port?: number; dir?: string } = {}): Promise<{
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** Stops the server; its folder is removed unless `keepData` (to restart on the same data). */
  stop: (stopOptions?: { keepData?: boolean }) => Promise<void>;
}> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sm-redis-')));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'];
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no');
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  // However this process ends (a forced shutdown, a fatal error), its redis-server goes with it.
  // SIGKILL: a stopped (SIGSTOP) server would hold a SIGTERM until it is continued.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  for (let i = 0; i < 100; i++) {
    if (await pingRedis(url, 200)) break;
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (i === 99) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    if (i === 99) throw new Error('redis-server did not start within 5 s');
  }
  return {
    url,
    port,
    dir,
    process: child,
    stop: async (stopOptions = {}) => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        // A stopped server (SIGSTOP) acts on the SIGTERM only once continued.
        child.kill('SIGCONT');
        await exited;
      }
      if (!stopOptions.keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * REDIS_URL if given; else whatever answers on the default port; else a private redis-server when
 * one is on PATH; else a clear message saying how to get Redis.
 */
export async function resolveRedis(configuredUrl: string | undefined, fallback: 'auto' | 'private' = 'auto'): Promise<RedisEndpoint> {
  if (configuredUrl !== undefined) return { url: configuredUrl, origin: 'configured' };
  if (fallback === 'auto' && (await pingRedis(DEFAULT_REDIS_URL))) return { url: DEFAULT_REDIS_URL, origin: 'default-port' };
  if (!(await onPath('redis-server'))) throw new RedisUnavailableError();
  const started = await startPrivateRedis();
  return { url: started.url, stop: () => started.stop(), origin: 'private' };
}

/**
 * A real Redis Sentinel group on loopback for tests: 1 primary, 2 replicas, 3 sentinels, each a
 * process of its own on a free port in a temporary folder, stopped by PID. No vitest import.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pingRedis } from '../../src/runtime/redis-bootstrap';
import type { RedisTopology } from '../../src/runtime/redis/topology';
import { toolClient } from './redis-client';

export interface RedisProcess {
  port: number;
  process: ChildProcess;
  /** SIGKILL (a crash: nothing flushed, nothing told); resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (a killed primary comes back; Sentinel demotes it). */
  restart(): Promise<void>;
}

export interface SentinelGroup {
  name: string;
  /** The group as the app is configured for it (REDIS_SENTINELS + REDIS_SENTINEL_NAME). */
  topology: Extract<RedisTopology, { kind: 'sentinel' }>;
  /** The data servers: [0] is the first primary. */
  servers: RedisProcess[];
  sentinels: RedisProcess[];
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /** Resolves once the sentinels name a primary other than `oldPort` and it answers as master. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** A redis-server (or sentinel) process on `port`, run in `dir`; killed with the test process. */
export function started(args: string[], port: number, dir: string): RedisProcess {
  const handle: RedisProcess = {
    port,
    process: launch(),
    kill: async () => {
      const child = handle.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await gone;
    },
    restart: async () => {
      await handle.kill();
      handle.process = launch();
      await waitForPing(port, handle.process);
    },
  };
  function launch(): ChildProcess {
    const child = spawn('redis-server', args, { stdio: 'ignore', cwd: dir });
    // However the test process ends, its servers go with it.
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    return child;
  }
  return handle;
}

export async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await pingRedis(`redis://127.0.0.1:${port}`, 200)) return;
    if (child.exitCode !== null) throw new Error(`redis on ${port} exited with code ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis on ${port} did not answer within 10 s`);
}

export async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`sentinel group: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function infoField(port: number, section: string, field: string): Promise<string | undefined> {
  const client = toolClient(`redis://127.0.0.1:${port}`);
  try {
    const text = await client.info(section);
    return new RegExp(`^${field}:(.*)$`, 'm').exec(text)?.[1]?.trim();
  } finally {
    client.disconnect();
  }
}

/**
 * Starts the group and resolves once every replica is in sync and every sentinel knows the two
 * replicas and the two other sentinels, so a failover can be decided from the start. Persistence:
 * append-only on the data nodes (the default "durable on the primary" standard), fsync every second.
 */
export async function startSentinelGroup(
  options: { name?: string; downAfterMs?: number; failoverTimeoutMs?: number; /** Extra redis-server arguments for every data server. */ dataArgs?: readonly string[] } = {},
): Promise<SentinelGroup> {
  const name = options.name ?? 'smtest';
  const dirs: string[] = [];
  const servers: RedisProcess[] = [];
  const sentinels: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...sentinels, ...servers].map((p) => p.kill()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  try {
    const primaryPort = await freePort();
    for (let i = 0; i < 3; i++) {
      const port = i === 0 ? primaryPort : await freePort();
      const dir = await mkdtemp(join(tmpdir(), `sm-sentinel-data-${i}-`));
      dirs.push(dir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no', ...(options.dataArgs ?? [])];
      // A restarted ex-primary must not come back as a primary of its own before Sentinel demotes it.
      if (i > 0) args.push('--replicaof', '127.0.0.1', String(primaryPort));
      const server = started(args, port, dir);
      servers.push(server);
      await waitForPing(port, server.process);
    }
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = await mkdtemp(join(tmpdir(), `sm-sentinel-${i}-`));
      dirs.push(dir);
      // Sentinel rewrites its config file (known peers, current epoch): it must be its own, writable.
      const conf = join(dir, 'sentinel.conf');
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3_000}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = started([conf, '--sentinel'], port, dir);
      sentinels.push(sentinel);
      await waitForPing(port, sentinel.process);
    }
    await until(async () => ((await infoField(primaryPort, 'replication', 'connected_slaves')) === '2' ? true : undefined), 'both replicas to connect', 20_000);
    for (const server of servers.slice(1)) {
      await until(async () => ((await infoField(server.port, 'replication', 'master_link_status')) === 'up' ? true : undefined), `replica ${server.port} in sync`, 20_000);
    }
    for (const sentinel of sentinels) {
      await until(
        async () => {
          const client = toolClient(`redis://127.0.0.1:${sentinel.port}`);
          try {
            const master = (await client.call('SENTINEL', 'MASTER', name)) as string[];
            const field = (k: string) => master[master.indexOf(k) + 1];
            return field('num-slaves') === '2' && field('num-other-sentinels') === '2' ? true : undefined;
          } finally {
            client.disconnect();
          }
        },
        `sentinel ${sentinel.port} to know the replicas and the other sentinels`,
        30_000,
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const primaryPort = async (): Promise<number> => {
    for (const sentinel of sentinels) {
      if (sentinel.process.exitCode !== null) continue;
      const client = toolClient(`redis://127.0.0.1:${sentinel.port}`);
      try {
        const addr = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
        if (addr) return Number(addr[1]);
      } catch {
        // ask the next one
      } finally {
        client.disconnect();
      }
    }
    throw new Error('no sentinel names a primary');
  };

  return {
    name,
    topology: {
      kind: 'sentinel',
      sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      name,
      sentinelPassword: undefined,
      username: undefined,
      password: undefined,
    },
    servers,
    sentinels,
    primaryPort,
    waitForFailover: (oldPort, timeoutMs = 30_000) =>
      until(
        async () => {
          const port = await primaryPort();
          if (port === oldPort) return undefined;
          return (await infoField(port, 'replication', 'role')) === 'master' ? port : undefined;
        },
        'a new primary',
        timeoutMs,
      ),
    stop,
  };
}

import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './child-env';
import type { HostCore } from './host';
import { spawnTsx } from './spawn-tsx';

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
  const worker = spawnTsx(SCRIPT, {
    env: await childEnv(host.config, { LOG_LEVEL: 'warn', ...env }),
    isReady: (line) => line.includes('workers ready'),
  });
  const ready = worker.ready.then(() => undefined);
  ready.catch(() => undefined);
  return { child: worker.child, ready, kill: worker.kill, stop: worker.stop, stderr: worker.stderr };
}

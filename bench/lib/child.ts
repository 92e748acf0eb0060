import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export const BENCH_DIR = resolve(import.meta.dirname, '..');

/**
 * A bench helper process (a .ts file under bench/) speaking JSON lines: it prints one object per
 * line on stdout; we send commands as lines on stdin.
 */
export interface BenchChild {
  process: ChildProcess;
  /** The next message whose `type` is `type` (messages are queued until read). */
  next<T extends { type: string }>(type: T['type'], timeoutMs?: number): Promise<T>;
  send(command: Record<string, unknown>): void;
  stop(): Promise<void>;
}

export function startChild(
  script: string,
  options: { env: Record<string, string>; cores?: string; nodeArgs?: string[] } ,
): BenchChild {
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', resolve(BENCH_DIR, script)];
  const child = options.cores
    ? spawn('taskset', ['-c', options.cores, process.execPath, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const queue: Array<{ type: string }> = [];
  const waiters: Array<{ type: string; resolve: (m: { type: string }) => void }> = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: { type: string };
    try {
      msg = JSON.parse(line) as { type: string };
    } catch {
      process.stderr.write(`[${script}] ${line}\n`);
      return;
    }
    const i = waiters.findIndex((w) => w.type === msg.type);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(msg);
    else queue.push(msg);
  });
  return {
    process: child,
    next<T extends { type: string }>(type: T['type'], timeoutMs = 120_000): Promise<T> {
      const i = queue.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0] as T);
      return new Promise<T>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        void exited.then((code) => reject(new Error(`${script} exited (${code}) before "${type}"`)));
        waiters.push({ type, resolve: (m) => { clearTimeout(timer); resolvePromise(m as T); } });
      });
    },
    send(command) {
      child.stdin!.write(`${JSON.stringify(command)}\n`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Child side: one JSON message per line. */
export function emit(message: { type: string } & Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Child side: yields each command sent on stdin. */
export async function* commands(): AsyncGenerator<{ type: string } & Record<string, unknown>> {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim()) yield JSON.parse(line) as { type: string } & Record<string, unknown>;
  }
}

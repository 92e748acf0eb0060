import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface TsxChild {
  child: ChildProcess;
  /** The first stdout line that passed `isReady`; rejects if the process exits first. */
  ready: Promise<string>;
  /** The next stdout line after the ready one (lines are queued until read). */
  nextLine(): Promise<string>;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** SIGKILL: no cleanup runs in the child; resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM: graceful close; resolves once it has exited. */
  stop(): Promise<void>;
  /** stderr so far (the last 20 kB), for failure messages. */
  stderr(): string;
}

/**
 * Runs a TypeScript script as `node --import tsx <script>`, never through the tsx CLI: the CLI
 * runs the script in a grandchild, so a SIGKILL would hit only the wrapper and leave the real
 * process running. Resolves `ready` with the first stdout line `isReady` accepts.
 */
export function spawnTsx(script: string, options: { env: Record<string, string>; isReady: (line: string) => boolean }): TsxChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const queued: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let onReady: ((line: string) => void) | undefined;
  const ready = new Promise<string>((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code, signal) =>
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready: ${stderr.slice(-2_000)}`)),
    );
  });
  ready.catch(() => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (onReady) {
      if (!options.isReady(line)) return;
      onReady(line);
      onReady = undefined;
    } else {
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else queued.push(line);
    }
  });
  const signal = async (name: 'SIGKILL' | 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    child,
    ready,
    nextLine() {
      const line = queued.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise<string>((resolve, reject) => {
        waiting.push(resolve);
        void exited.then(() => reject(new Error(`${script} exited before its next line: ${stderr.slice(-2_000)}`)));
      });
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    stderr: () => stderr,
  };
}

import { resolve } from 'node:path';

/**
 * A command gets the arguments after its name and resolves to the process's exit code (0 ok,
 * 1 something must be fixed, 2 usage). A long-running command (`start`) resolves once it runs:
 * `longRunning` tells the dispatcher not to exit then.
 */
export type CommandRun = (argv: string[]) => Promise<number>;

export interface Command {
  /** One line for the usage text. */
  summary: string;
  /** Loaded on use, so `doctor` does not load the host and a host does not load every tool. */
  load: () => Promise<CommandRun>;
  longRunning?: boolean;
}

/**
 * `connectors/` beside `src/`, three levels up from this folder: from src/runtime/cli/ when run
 * from source, from dist/src/runtime/cli/ (the entry point's own folder) when compiled.
 */
const connectorsDir = resolve(import.meta.dirname, '../../../connectors');

/** The host in one mode; `demo` forces demo mode (fake clouds) unless DEMO is set. */
const host = (mode: 'serve' | 'work' | 'all' | undefined, demo = false): CommandRun => async (argv) => {
  // `start` takes the mode (checked with the rest of the configuration); the others take nothing.
  if (argv.length > (mode === undefined ? 1 : 0)) {
    process.stderr.write(`service-manager: unexpected argument "${argv.at(-1)}"; see service-manager help\n`);
    return 2;
  }
  if (demo) process.env['DEMO'] ??= 'true';
  const { runHost } = await import('../main');
  await runHost({ mode: mode ?? argv[0], connectorsDir });
  return 0;
};

/**
 * `service-manager <name>`. A new command is one line here: its module exports a CommandRun.
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  start: { summary: 'start [serve|work|all]  run the HTTP host and/or workers (default: all)', load: async () => host(undefined), longRunning: true },
  worker: { summary: 'worker                  run BullMQ workers only (same as `start work`)', load: async () => host('work'), longRunning: true },
  demo: { summary: 'demo                    host, workers and fake clouds in one process', load: async () => host('all', true), longRunning: true },
  doctor: { summary: 'doctor                  check Redis, its settings, keys and clock; say what to fix', load: async () => (await import('./doctor')).doctor },
  rekey: { summary: 'rekey [--batch-size N]  re-encrypt every stored secret under the first of SECRET_KEYS', load: async () => (await import('../rekey-command')).rekeyCommand },
  'api-key': { summary: 'api-key create|revoke|list  named admin API keys (create --name N --scope read|full)', load: async () => (await import('../api-key-command')).apiKeyCommand },
  'new-connector': { summary: 'new-connector <name> [--dir D]  scaffold a connector folder (from a checkout; connectors/README.md)', load: async () => (await import('./new-connector')).newConnectorRun() },
};

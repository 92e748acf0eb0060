#!/usr/bin/env node
import { COMMANDS } from './commands';

/** `service-manager <command> [args…]`: see COMMANDS. Usage and unknown commands exit 2. */
function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.summary}`);
  return ['usage: service-manager <command> [args…]', '', 'commands:', ...lines, ''].join('\n');
}

async function cli(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return;
  }
  if (name === undefined) {
    process.stderr.write(`service-manager: no command given\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`service-manager: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const code = await (await command.load())(rest);
  // A one-shot command is done: exit even if a library left a timer or socket behind. A host
  // that started lives on; one that refused its arguments exits like any other command.
  if (!command.longRunning || code !== 0) process.exit(code);
}

cli(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

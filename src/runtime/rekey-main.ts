import { rekeyCommand } from './rekey-command';

// `npm run rekey [-- --batch-size N]`; `service-manager rekey` calls rekeyCommand itself.
rekeyCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`rekey: fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

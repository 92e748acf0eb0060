import { apiKeyCommand } from './api-key-command';

// `npm run api-key -- create --name N --scope read|full` until `service-manager api-key` wires the same function.
process.exitCode = await apiKeyCommand(process.argv.slice(2));

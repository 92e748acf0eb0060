import { fileURLToPath } from 'node:url';
import type { CloudRequest } from '../../src/connectors/cloud-types';
import { childEnv } from './child-env';
import type { HostCore } from './host';
import { spawnTsx } from './spawn-tsx';

const SCRIPT = fileURLToPath(new URL('./refresh-caller.ts', import.meta.url));

export interface CallerResult {
  ok: number;
  failed: number;
  errors: string[];
}

/**
 * Starts `processes` refresh-caller.ts children for one installation, waits until all are ready,
 * lets them fire `calls` requests each at once, and returns what each saw.
 */
export async function runRefreshCallers(
  host: HostCore,
  options: { connector: string; installationId: string; request: CloudRequest; processes: number; calls: number },
): Promise<CallerResult[]> {
  const env = await childEnv(host.config, {
    CONNECTOR: options.connector,
    INSTALLATION_ID: options.installationId,
    REQUEST: JSON.stringify(options.request),
    CALLS: String(options.calls),
  });
  const callers = Array.from({ length: options.processes }, () => spawnTsx(SCRIPT, { env, isReady: (line) => line === 'ready' }));
  try {
    await Promise.all(callers.map((c) => c.ready));
    for (const caller of callers) caller.send('go');
    return await Promise.all(callers.map(async (c) => JSON.parse(await c.nextLine()) as CallerResult));
  } finally {
    await Promise.all(callers.map((c) => c.stop()));
  }
}

import { createInstallation, uninstall, type CreatedInstallation } from '../operator';
import type { Config } from './config';
import type { Services } from './services';

export const DEMO_LOCATION = 'demo-home';

/**
 * One fresh demo installation per connector at the demo location. An earlier run's installation
 * there is uninstalled first, through the same path as the admin API (devices, tokens, schedules
 * and jobs go with it, nothing is orphaned): its setup link cannot be shown again (we keep only the
 * token's hash), and it was linked to an earlier run's fake cloud, which is gone. Installations
 * elsewhere in a persistent Redis are left as they are.
 */
export async function createDemoInstallations(services: Services): Promise<CreatedInstallation[]> {
  const created: CreatedInstallation[] = [];
  const existing = await services.installations.list({ locationId: DEMO_LOCATION });
  for (const old of existing) await uninstall(services, old.id);
  for (const name of services.connectors.keys()) {
    created.push(await createInstallation(services, { connector: name, locationId: DEMO_LOCATION }));
  }
  return created;
}

/** The demo's console: where it listens, which Redis and key prefix, and the links to open. */
export function demoBanner(input: {
  config: Config;
  redis: string;
  installs: readonly CreatedInstallation[];
  titles: ReadonlyMap<string, { title: string }>;
  /** Who may sign in at each fake (RunningFake.loginHint), by connector. */
  hints?: ReadonlyMap<string, string | undefined>;
}): string {
  const { config, installs, titles } = input;
  const url = config.publicUrl;
  const lines = [
    '',
    `  Service Manager demo on ${url} (each connector talks to its fake cloud)`,
    `  Redis:   ${input.redis}, key prefix "${config.keyPrefix}"`,
    `  Admin:   ${url}/admin/login${config.generated.adminToken ? `   token (generated for this run): ${config.adminToken}` : ''}`,
    `  Health:  ${url}/healthz   ${url}/readyz   ${url}/metrics`,
    '',
    '  Link the demo account: open the link, then sign in at the fake cloud as it says.',
  ];
  const width = Math.max(0, ...installs.map((i) => (titles.get(i.connector)?.title ?? i.connector).length));
  for (const inst of installs) {
    lines.push(`    ${`${titles.get(inst.connector)?.title ?? inst.connector}:`.padEnd(width + 2)}${inst.setupUrl}`);
    const hint = input.hints?.get(inst.connector);
    if (hint) lines.push(`    ${''.padEnd(width + 2)}at its sign-in page, ${hint}`);
  }
  lines.push('', '  Stop with Ctrl-C.', '');
  return `${lines.join('\n')}\n`;
}

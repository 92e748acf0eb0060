import { createInstallation, type CreatedInstallation } from '../operator';
import type { Services } from './services';

export const DEMO_LOCATION = 'demo-home';

/**
 * One fresh demo installation per connector at the demo location. An earlier run's installation
 * there is replaced: its setup link cannot be shown again (we keep only the token's hash), and its
 * tokens were sealed with that run's generated key.
 */
export async function createDemoInstallations(services: Services): Promise<CreatedInstallation[]> {
  const created: CreatedInstallation[] = [];
  const existing = await services.installations.list({ locationId: DEMO_LOCATION });
  for (const old of existing) await services.installations.delete(old);
  for (const name of services.connectors.keys()) {
    created.push(await createInstallation(services, { connector: name, locationId: DEMO_LOCATION }));
  }
  return created;
}

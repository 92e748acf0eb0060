import { resolve } from 'node:path';
import { loadConnectors } from '../../src/connectors/registry';

export const NEUTRAL_CONNECTOR = 'acme';

/**
 * The neutral test connector's definition (test/fixtures/connectors/acme), for services that also
 * run the repository's (servicesFromEnv's and startHostCore's `connectors`). No vitest here: child
 * processes load it too.
 */
export function neutralConnectors(): ReturnType<typeof loadConnectors> {
  return loadConnectors(resolve(import.meta.dirname, '../fixtures/connectors'));
}

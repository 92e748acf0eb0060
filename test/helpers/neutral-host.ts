import { FakeAcme } from '../fixtures/connectors/acme/fake/server';
import { startHostCore, type HostCore } from './host';
import { NEUTRAL_CONNECTOR, neutralConnectors } from './neutral-connectors';

export { NEUTRAL_CONNECTOR, neutralConnectors };

/**
 * A host with only the neutral test connector (test/fixtures/connectors/acme) enabled against its
 * fake: for framework tests that are about no particular cloud.
 */
export type NeutralHost = HostCore & { fake: FakeAcme };

export async function startNeutralHost(options: { env?: Record<string, string>; now?: () => number } = {}): Promise<NeutralHost> {
  const connectors = await neutralConnectors();
  const fake = await FakeAcme.start();
  const core = await startHostCore({ fakes: { [NEUTRAL_CONNECTOR]: fake }, connectors, ...(options.env ? { env: options.env } : {}), ...(options.now ? { now: options.now } : {}) });
  return {
    ...core,
    fake,
    async close() {
      await core.close();
      await fake.stop();
    },
  };
}

import type { Platform } from '../platform';
import type { WebServices } from './web-services';
import type { FanoutRoute } from './fanout';
import { routeToSinks } from './sink-routing';

/** Installations never change connector: remember each one, bounded, so routing reads it once. */
const CONNECTOR_CACHE_MAX = 10_000;

/** Every event to the event sinks that asked for its type and connector, one chain per (sink, installation). */
export function sinkRoute(services: Pick<Platform, 'installations'> & { webServices: WebServices }): FanoutRoute {
  const { sinks, sinkDrains, sinkDeliveries } = services.webServices;
  const connectors = new Map<string, string>();

  async function connectorOf(installationId: string, fromEvent: unknown): Promise<string | undefined> {
    // Installation events name their connector: an uninstalled one can no longer be looked up.
    if (typeof fromEvent === 'string') return fromEvent;
    const known = connectors.get(installationId);
    if (known !== undefined) return known;
    const connector = (await services.installations.get(installationId))?.connector;
    if (connector !== undefined) remember(installationId, connector);
    return connector;
  }

  function remember(installationId: string, connector: string): void {
    if (connectors.size >= CONNECTOR_CACHE_MAX) connectors.clear();
    connectors.set(installationId, connector);
  }

  return {
    name: 'event-sinks',
    drains: sinkDrains,
    async route(events) {
      const all = await sinks.list();
      if (all.length === 0) return [];
      const filtersByConnector = all.some((s) => s.connectors !== null);
      // Installation events name their connector; learn it from the whole batch first, so a device
      // event routed after its installation was deleted still finds it.
      for (const event of events) {
        const named = event.data['connector'];
        if (typeof named === 'string') remember(event.installationId, named);
      }
      const out = [];
      for (const event of events) {
        const connector = filtersByConnector ? await connectorOf(event.installationId, event.data['connector']) : undefined;
        out.push(...routeToSinks(event, connector, all));
      }
      return out;
    },
    startDrain: (sinkId, chain, generation) => sinkDeliveries.drain(sinkId, chain, generation),
  };
}

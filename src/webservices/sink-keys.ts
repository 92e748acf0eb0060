import type { DrainKeys } from './drain-state';

/** Key names of the event-sink family (event-sinks.ts; web-services.ts hands the chain keys to their DrainState). */
export interface SinkKeys extends DrainKeys {
  sink(id: string): string;
  all(): string;
  stats(id: string): string;
}

export function sinkKeys(prefix: string): SinkKeys {
  const p = `${prefix}:sink`;
  // The fan-out's delivery state is advanced by one script: one Cluster hash tag for all of it.
  const drain = `${prefix}:{${prefix}:sink:drain}`;
  return {
    sink: (id) => `${p}:${id}`,
    all: () => `${prefix}:sinks`,
    stats: (id) => `${p}:${id}:stats`,
    deliveryList: (sinkId, chain) => `${drain}:sink:${sinkId}:pending:${chain}`,
    deliveryMarker: (sinkId, chain) => `${drain}:sink:${sinkId}:drain:${chain}`,
    deliveryFailed: (sinkId) => `${p}:${sinkId}:dead`,
    deliveryGeneration: () => `${drain}:sink-drain-generation`,
    activeDrains: () => `${drain}:sink-drains`,
    fanoutCursor: () => `${drain}:sink-fanout-cursor`,
    layout1: {
      fixed: [
        [`${prefix}:sink-drain-generation`, `${drain}:sink-drain-generation`],
        [`${prefix}:sink-drains`, `${drain}:sink-drains`],
        [`${prefix}:sink-fanout-cursor`, `${drain}:sink-fanout-cursor`],
      ],
      patterns: [`${p}:*:pending:*`, `${p}:*:drain:*`],
      moved: (key) => `${drain}:sink:${key.slice(`${p}:`.length)}`,
    },
  };
}

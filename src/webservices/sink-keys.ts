import type { DrainKeys } from './drain-state';

/** Key names of the event-sink family (event-sinks.ts; web-services.ts hands the chain keys to their DrainState). */
export interface SinkKeys extends DrainKeys {
  sink(id: string): string;
  all(): string;
  stats(id: string): string;
}

export function sinkKeys(prefix: string): SinkKeys {
  const p = `${prefix}:sink`;
  return {
    sink: (id) => `${p}:${id}`,
    all: () => `${prefix}:sinks`,
    stats: (id) => `${p}:${id}:stats`,
    deliveryList: (sinkId, chain) => `${p}:${sinkId}:pending:${chain}`,
    deliveryMarker: (sinkId, chain) => `${p}:${sinkId}:drain:${chain}`,
    deliveryFailed: (sinkId) => `${p}:${sinkId}:dead`,
    deliveryGeneration: () => `${prefix}:sink-drain-generation`,
    activeDrains: () => `${prefix}:sink-drains`,
    fanoutCursor: () => `${prefix}:sink-fanout-cursor`,
  };
}

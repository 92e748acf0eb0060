import type { Metrics } from '../../metrics/metrics';

export type RouteLatency = (method: string, route: string, status: number, seconds: number) => void;

/**
 * Latency by route pattern (never the raw path: ids and tokens would explode the label set). The
 * labelled child of each (method, route, status) is kept, so a request costs one map lookup
 * instead of building, validating and merging label objects.
 */
export function routeLatency(metrics: Metrics): RouteLatency {
  const children = new Map<string, { observe(value: number): void }>();
  return (method, route, status, seconds) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = metrics.httpDuration.labels(method, route, String(status));
      children.set(key, child);
    }
    child.observe(seconds);
  };
}

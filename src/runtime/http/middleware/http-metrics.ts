import { labelledChildren } from '../../metrics/labelled-children';
import type { Metrics } from '../../metrics/metrics';

export type RouteLatency = (method: string, route: string, status: number, seconds: number) => void;

/**
 * Latency by route pattern (never the raw path: ids and tokens would explode the label set), with
 * the labelled children kept.
 */
export function routeLatency(metrics: Metrics): RouteLatency {
  const child = labelledChildren((...values) => metrics.httpDuration.labels(...values));
  return (method, route, status, seconds) => child(method, route, String(status)).observe(seconds);
}

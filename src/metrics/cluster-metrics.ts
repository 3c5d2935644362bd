import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { GatewayMetrics } from './gateway-metrics.ts';

/** One worker's metrics as JSON (prom-client's `getMetricsAsJSON()` shape). */
export type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** A worker's metrics, for its primary to aggregate. */
export function workerMetricsOf(metrics: GatewayMetrics): Promise<WorkerMetrics> {
  return metrics.registry.getMetricsAsJSON() as Promise<WorkerMetrics>;
}

/**
 * The Prometheus text of a whole multi-worker process: every worker's metrics merged by each
 * metric's aggregator (counters and histograms summed; gauges as declared: in-flight summed,
 * circuit states max, backend up min, latency EMAs averaged).
 */
export function aggregateWorkerMetrics(workers: readonly WorkerMetrics[]): Promise<string> {
  return AggregatorRegistry.aggregate(workers as WorkerMetrics[]).metrics();
}

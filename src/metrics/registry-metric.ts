import type { Metric, Registry } from 'prom-client';

/** Label names and values of one exposed sample, in the order they are printed. */
export type SampleLabels = Readonly<Record<string, string | number>>;

/**
 * One sample as prom-client's `Registry` reads it: `metricName` overrides the metric's name
 * (a histogram's `_bucket`, `_sum`, `_count`); `sharedLabels` are printed after `labels`.
 */
export interface RegistrySample {
  value: number;
  labels: SampleLabels;
  sharedLabels?: SampleLabels;
  metricName?: string;
  /** Always null here (no exemplars); present on bucket samples as prom-client's are. */
  exemplar?: null;
}

/** A metric's samples at scrape time, the shape prom-client's `Registry` prints. */
export interface RegistrySnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: RegistrySample[];
}

/**
 * What prom-client's `Registry` reads from a registered metric (`lib/registry.js`):
 * `name`, `help`, `type`, `aggregator`, `get()` (JSON and, without `getForPromString`, the
 * text exposition), the optional `getForPromString()` and `reset()`. `name` stays writable:
 * an OpenMetrics registry strips a counter's `_total` in place.
 */
export interface RegistryMetric {
  name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  /** Samples with every label inline (`getMetricsAsJSON`). */
  get(): Promise<RegistrySnapshot>;
  /** Samples for the text exposition, series labels as `sharedLabels`. */
  getForPromString(): Promise<RegistrySnapshot>;
  /** Forgets every series. */
  reset(): void;
}

/**
 * Registers a metric of ours in prom-client registries, beside prom-client's own metrics.
 * prom-client's typings only accept its own classes, while its `Registry` reads any object of
 * the `RegistryMetric` shape: this is the one place that bridges the two.
 *
 * @example
 * ```ts
 * registerInRegistries(counter, [registry]);
 * ```
 */
export function registerInRegistries(metric: RegistryMetric, registries: readonly Registry[]): void {
  for (const registry of registries) registry.registerMetric(metric as unknown as Metric);
}

import type { Registry } from 'prom-client';

/** Options shared by `LabelledCounter` and `LabelledHistogram`, named as prom-client names them. */
export interface MetricDefinition<LabelNames extends readonly string[]> {
  /** Metric name, e.g. `switchboard_requests_total`. */
  name: string;
  /** The `# HELP` text. */
  help: string;
  /** Label names, in the order their values are passed to `labels(...)` and printed. */
  labelNames: LabelNames;
  /** Registries that expose the metric. */
  registers: readonly Registry[];
  /**
   * Most series kept (default 1000); label values beyond it, or longer than 128 characters, are
   * counted under the one series whose labels are all `other`. Bounds the scrape whatever clients send.
   */
  maxSeries?: number;
}

/** One string per label name: the values `labels(...)` takes. */
export type LabelValues<LabelNames extends readonly string[]> = { readonly [Index in keyof LabelNames]: string };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Throws when a definition would print an invalid exposition: a metric or label name outside
 * Prometheus' grammar, a duplicated label name, a missing help text, or a reserved label name.
 *
 * @example
 * ```ts
 * validateMetricDefinition({ name: 'requests_total', help: 'Requests.', labelNames: ['status'], registers: [] }, []);
 * ```
 */
export function validateMetricDefinition(
  definition: MetricDefinition<readonly string[]>,
  reservedLabelNames: readonly string[],
): void {
  if (!METRIC_NAME.test(definition.name)) throw new Error(`Invalid metric name: ${definition.name}`);
  if (definition.help === '') throw new Error(`Missing help text of ${definition.name}`);
  const seen = new Set<string>();
  for (const labelName of definition.labelNames) {
    if (!LABEL_NAME.test(labelName) || labelName.startsWith('__'))
      throw new Error(`Invalid label name of ${definition.name}: ${labelName}`);
    if (reservedLabelNames.includes(labelName))
      throw new Error(`${labelName} is a reserved label name of ${definition.name}`);
    if (seen.has(labelName)) throw new Error(`Duplicate label name of ${definition.name}: ${labelName}`);
    seen.add(labelName);
  }
}

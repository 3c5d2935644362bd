/**
 * Memoises prom-client label children (`metric.labels(...values)`) by their values, so a hot
 * path pays one `Map` lookup per observation instead of prom-client's hashing of a label
 * object. Only for counters and histograms: gauges that `reset()` at scrape time drop their
 * children. The number of children is bounded by the label values' own bounds (providers,
 * statuses, the capped model label).
 *
 * @example
 * ```ts
 * const requestsFor = labelChildCache((provider: string, status: string) => requests.labels(provider, status));
 * requestsFor('primary', '200').inc();
 * ```
 */
export function labelChildCache<Values extends string[], Child>(create: (...values: Values) => Child): (...values: Values) => Child {
  const children = new Map<string, Child>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      child = create(...values);
      children.set(key, child);
    }
    return child;
  };
}

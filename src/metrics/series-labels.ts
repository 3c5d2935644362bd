/**
 * The label object of one series: each label name with its value, in the metric's label
 * order (the order the exposition prints them). Built once per series, never per observation.
 *
 * @example
 * ```ts
 * seriesLabels(['provider', 'status'], ['primary', '200']); // { provider: 'primary', status: '200' }
 * ```
 */
export function seriesLabels(
  labelNames: readonly string[],
  labelValues: readonly string[],
): Readonly<Record<string, string>> {
  const labels: Record<string, string> = {};
  labelNames.forEach((labelName, index) => {
    labels[labelName] = labelValues[index] as string;
  });
  return Object.freeze(labels);
}

/**
 * Pure number helpers of the benchmark report: percentiles, medians, ratios, formatting.
 * No I/O, no clock: unit-tested in `stats.test.ts`.
 */

/**
 * The `fraction` percentile (0..1) of `values` by the nearest-rank method; NaN when empty.
 *
 * @example
 * ```ts
 * percentile([5, 1, 3, 2, 4], 0.5); // 3
 * ```
 */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  return percentileOfSorted(sorted, fraction);
}

/** Like `percentile`, for values already sorted ascending (no copy). */
export function percentileOfSorted(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const clamped = Math.min(1, Math.max(0, fraction));
  const rank = Math.max(1, Math.ceil(clamped * sorted.length));
  return sorted[rank - 1] as number;
}

/** The median of `values` (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return Number.NaN;
  const sorted = finite.sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The median of the pairwise differences `values[i] - baseline[i]` (rounds paired by index).
 * Pairing each round with the same round's baseline cancels slow drifts of a noisy machine.
 */
export function medianOfDifferences(values: readonly number[], baseline: readonly number[]): number {
  const differences: number[] = [];
  const count = Math.min(values.length, baseline.length);
  for (let index = 0; index < count; index += 1) {
    differences.push((values[index] as number) - (baseline[index] as number));
  }
  return median(differences);
}

/** `value / reference`, or NaN when either is not a finite number or the reference is 0. */
export function ratio(value: number, reference: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return Number.NaN;
  return value / reference;
}

/** A number with `digits` decimals, or `n/a` when it is not finite. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio as `1.23×`, or `n/a`. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

/** A signed difference such as `+0.12` or `-0.03`, or `n/a`. */
export function formatSigned(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

/** A latency distribution of a synthetic provider, ms: log-normal from its median and 99th percentile, or fixed. */
export type LatencyDistribution = { p50: number; p99: number } | { fixed: number };

/** A token count: fixed, or uniform over [min, max]. */
export type TokenCount = number | { min: number; max: number };

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.326_347_874;

/** A sampler of `distribution` driven by `random` (uniform in [0, 1)). */
export function latencySampler(distribution: LatencyDistribution, random: () => number): () => number {
  if ('fixed' in distribution) return () => distribution.fixed;
  const mu = Math.log(distribution.p50);
  const sigma = Math.max(0, Math.log(distribution.p99 / distribution.p50) / Z99);
  return () => Math.exp(mu + sigma * standardNormal(random));
}

/** A sampler of a token count. */
export function tokenSampler(count: TokenCount, random: () => number): () => number {
  if (typeof count === 'number') return () => count;
  return () => Math.round(count.min + (count.max - count.min) * random());
}

/** One standard normal draw (Box–Muller). */
export function standardNormal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The `fraction` quantile (0..1) of `sorted` (ascending), nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
}

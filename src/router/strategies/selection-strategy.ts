import type { ProviderRecord } from '../provider-record.ts';
import type { ResultInput } from '../types.ts';

/** What a strategy may read besides the candidates. */
export interface SelectionContext {
  model: string;
  /** Router clock, ms. */
  now: number;
  /** Uniform random in [0, 1). */
  random: () => number;
}

/**
 * A selection strategy: one of the built-ins by name, or your own object passed as
 * `new Router({ strategy })`. Candidates are never empty, are all able to take traffic, and come
 * in registration order, so "earliest registered" is the lowest index. Read candidates, never
 * write them: they are the router's records.
 *
 * @example
 * ```ts
 * const firstRegistered: SelectionStrategy = {
 *   name: 'first_registered',
 *   choose: () => 0,
 *   rank: (candidates) => [...candidates],
 * };
 * const router = new Router({ strategy: firstRegistered });
 * ```
 */
export interface SelectionStrategy {
  /** Shown as `router.strategy`; the built-ins use their `StrategyName`. */
  readonly name: string;
  /** Index of the provider to use for this request; may update the strategy's own state. */
  choose(candidates: readonly ProviderRecord[], context: SelectionContext): number;
  /** The candidates best first, for fallbacks; has no side effects. */
  rank(candidates: readonly ProviderRecord[], context: SelectionContext): ProviderRecord[];
  /** Sees every result the router records (strategies that keep their own measurements use it). */
  observe?(record: ProviderRecord, result: ResultInput, now: number): void;
}

/** Stable sort of a copy by a numeric key, ascending; equal keys keep registration order. */
export function sortedBy(
  candidates: readonly ProviderRecord[],
  key: (record: ProviderRecord) => number,
): ProviderRecord[] {
  return candidates.slice().sort((left, right) => key(left) - key(right) || left.order - right.order);
}

/** Index of the candidate with the lowest key; ties go to the earliest registered. */
export function indexOfLowest(candidates: readonly ProviderRecord[], key: (record: ProviderRecord) => number): number {
  let bestIndex = 0;
  let bestKey = Number.POSITIVE_INFINITY;
  for (let index = 0; index < candidates.length; index += 1) {
    const value = key(candidates[index] as ProviderRecord);
    if (value < bestKey) {
      bestKey = value;
      bestIndex = index;
    }
  }
  return bestIndex;
}

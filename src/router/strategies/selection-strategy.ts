import type { ProviderRecord } from '../provider-record.ts';
import type { ResultInput } from '../types.ts';

/**
 * What a strategy reads of one candidate: a deployment (a provider × the requested public
 * model). Latency and failure rate are the deployment's own, or its provider's while the
 * deployment has no measurement; `inFlight` and `weight` are the provider's.
 */
export interface RoutingCandidate {
  /** The provider's name. */
  readonly name: string;
  /** The public model name. */
  readonly model: string;
  /** Registration order: the tie-breaker "earliest registered". */
  readonly order: number;
  readonly weight: number;
  /** Latency EMA in ms; 0 = not measured yet. */
  readonly latencyMs: number;
  /** Failure-rate score in [0, 1]. */
  readonly failureRate: number;
  /** When the last latency sample arrived (router clock); -Infinity = never. */
  readonly lastSampleAt: number;
  /** Routed calls under way at the provider. */
  readonly inFlight: number;
  /** When the latency strategy last sent it a measuring request; -Infinity = never. Strategies may write it. */
  explorationAt: number;
  /** The provider's record (provider-wide state: pricing, health, circuit). */
  readonly provider: ProviderRecord;
}

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
  choose(candidates: readonly RoutingCandidate[], context: SelectionContext): number;
  /** The candidates best first, for fallbacks; has no side effects. */
  rank<Candidate extends RoutingCandidate>(candidates: readonly Candidate[], context: SelectionContext): Candidate[];
  /**
   * Sees every result the router records, with the provider it is for (strategies that keep their
   * own measurements use it; `result.model` names the deployment when known).
   */
  observe?(provider: ProviderRecord, result: ResultInput, now: number): void;
}

/** Stable sort of a copy by a numeric key, ascending; equal keys keep registration order. */
export function sortedBy<Candidate extends RoutingCandidate>(
  candidates: readonly Candidate[],
  key: (record: RoutingCandidate) => number,
): Candidate[] {
  return candidates.slice().sort((left, right) => key(left) - key(right) || left.order - right.order);
}

/** Index of the candidate with the lowest key; ties go to the earliest registered. */
export function indexOfLowest(
  candidates: readonly RoutingCandidate[],
  key: (record: RoutingCandidate) => number,
): number {
  let bestIndex = 0;
  let bestKey = Number.POSITIVE_INFINITY;
  for (let index = 0; index < candidates.length; index += 1) {
    const value = key(candidates[index] as RoutingCandidate);
    if (value < bestKey) {
      bestKey = value;
      bestIndex = index;
    }
  }
  return bestIndex;
}

import { PeakEwma } from '../peak-ewma.ts';
import type { ProviderRecord } from '../provider-record.ts';
import type { SelectionStrategy } from './selection-strategy.ts';

/** Options of the p2c strategy. */
export interface PeakEwmaStrategyOptions {
  /** Time constant of the peak-EWMA's decay, ms. Default 10000. */
  decayMs?: number;
}

/** A failed attempt counts as a sample at least this slow (ms), so a provider failing fast never looks fast. */
const FAILURE_SAMPLE_FLOOR_MS = 1_000;
/** Score of an unmeasured provider that already has a call under way: it gets one request at a time. */
const BUSY_UNMEASURED_SCORE = Number.MAX_SAFE_INTEGER;

/**
 * `p2c`: power of two choices (Finagle, Linkerd): draw two distinct candidates at random and
 * take the one with the lower peak-EWMA latency × (in-flight + 1), so load and latency both
 * count and a fast provider that starts queueing sheds traffic at once. Ties go to the fewer
 * in flight, then the earliest registered. An unmeasured provider scores 0 while idle (it is
 * tried), and is never sent a second call before its first answers. A failure that counts
 * against the provider is a sample no faster than the estimate and at least 1 s, so failing
 * fast never attracts traffic, while a provider back from an outage (its estimate decayed while
 * its circuit was open) is tried again at once. Fallbacks are ranked by the same score.
 */
export function createP2cStrategy(options: PeakEwmaStrategyOptions = {}): SelectionStrategy {
  const estimates = new WeakMap<ProviderRecord, PeakEwma>();
  const estimateOf = (record: ProviderRecord): PeakEwma => {
    let estimate = estimates.get(record);
    if (estimate === undefined) {
      estimate = new PeakEwma(options.decayMs);
      estimates.set(record, estimate);
    }
    return estimate;
  };
  const score = (record: ProviderRecord, now: number): number => {
    const estimate = estimates.get(record);
    if (estimate === undefined || !estimate.measured) return record.inFlight > 0 ? BUSY_UNMEASURED_SCORE : 0;
    return estimate.estimate(now) * (record.inFlight + 1);
  };
  const better = (left: ProviderRecord, right: ProviderRecord, now: number): number => {
    const difference = score(left, now) - score(right, now);
    if (difference !== 0) return difference;
    return left.inFlight - right.inFlight || left.order - right.order;
  };

  return {
    name: 'p2c',
    choose(candidates, { now, random }) {
      const count = candidates.length;
      if (count === 1) return 0;
      const first = Math.min(count - 1, Math.floor(random() * count));
      let second = Math.min(count - 2, Math.floor(random() * (count - 1)));
      if (second >= first) second += 1;
      return better(candidates[first] as ProviderRecord, candidates[second] as ProviderRecord, now) <= 0
        ? first
        : second;
    },
    rank(candidates, { now }) {
      return candidates.slice().sort((left, right) => better(left, right, now));
    },
    observe(record, result, now) {
      if (result.success) {
        if (result.latencyMs !== undefined) estimateOf(record).observe(result.latencyMs, now);
        return;
      }
      if (result.countsAsFailure === false) return;
      const estimate = estimateOf(record);
      estimate.observe(Math.max(FAILURE_SAMPLE_FLOOR_MS, result.latencyMs ?? 0, estimate.estimate(now)), now);
    },
  };
}

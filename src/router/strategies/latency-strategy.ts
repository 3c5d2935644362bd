import type { RoutingCandidate, SelectionStrategy } from './selection-strategy.ts';

/** Options of the latency strategy. */
export interface LatencyStrategyOptions {
  /**
   * A provider whose latency was last measured longer ago than this (ms) is due for one
   * measuring request. Default 60000.
   */
  staleAfterMs?: number;
}

/**
 * `latency`: the lowest latency EMA, ties to the earliest registered, with two rules the Go
 * original lacked, so traffic does not herd onto one provider forever:
 *
 * 1. An unmeasured provider gets one request before the measured ones compete (one at a
 *    time: while that request is under way, others go to the fastest measured provider).
 * 2. Measurements age: a provider not measured for `staleAfterMs` gets one request to
 *    re-measure it, so a provider that recovered earns its traffic back.
 *
 * With steady traffic that costs at most one request per provider per `staleAfterMs`.
 */
export function createLatencyStrategy(options: LatencyStrategyOptions = {}): SelectionStrategy {
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const isDue = (record: RoutingCandidate, now: number): boolean =>
    Math.max(record.lastSampleAt, record.explorationAt) + staleAfterMs <= now;

  return {
    name: 'latency',
    choose(candidates, { now }) {
      let bestIndex = -1;
      let bestLatency = Number.POSITIVE_INFINITY;
      for (let index = 0; index < candidates.length; index += 1) {
        const record = candidates[index] as RoutingCandidate;
        if (isDue(record, now)) {
          record.explorationAt = now;
          return index;
        }
        const latency = record.latencyMs;
        if (latency > 0 && latency < bestLatency) {
          bestLatency = latency;
          bestIndex = index;
        }
      }
      return bestIndex === -1 ? 0 : bestIndex;
    },
    rank(candidates) {
      return candidates.slice().sort((left, right) => rankKey(left) - rankKey(right) || left.order - right.order);
    },
  };
}

/** Measured providers by latency, unmeasured ones after them. */
function rankKey(record: RoutingCandidate): number {
  return record.latencyMs > 0 ? record.latencyMs : Number.POSITIVE_INFINITY;
}

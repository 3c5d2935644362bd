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
 * `latency`: the lowest latency EMA, ties to the earliest registered, with two rules so traffic
 * does not herd onto one provider forever:
 *
 * 1. An unmeasured provider gets one request before the measured ones compete (one at a
 *    time: while that request is under way, others go to the fastest measured provider).
 * 2. Measurements age: a provider not measured for `staleAfterMs` gets one request to
 *    re-measure it, so a provider that recovered earns its traffic back.
 *
 * With steady traffic that costs at most one request per provider per `staleAfterMs`.
 */
export function createLatencyStrategy(options: LatencyStrategyOptions = {}): SelectionStrategy {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  return {
    name: 'latency',
    choose: (candidates, { now }) => chooseByLatency(candidates, now, staleAfterMs),
    rank: (candidates) => candidates.slice().sort(byLatency),
  };
}

/** Default of `LatencyStrategyOptions.staleAfterMs`. */
export const DEFAULT_STALE_AFTER_MS = 60_000;

/**
 * The latency rule over the candidates `include` accepts (all when absent): the first one due
 * for a measuring request (marked as sent), else the lowest latency EMA, else the first
 * accepted. Returns -1 when `include` accepts none. Shared with strategies that break ties by latency.
 */
export function chooseByLatency(
  candidates: readonly RoutingCandidate[],
  now: number,
  staleAfterMs: number,
  include?: (record: RoutingCandidate) => boolean,
): number {
  let firstIndex = -1;
  let bestIndex = -1;
  let bestLatency = Number.POSITIVE_INFINITY;
  for (let index = 0; index < candidates.length; index += 1) {
    const record = candidates[index] as RoutingCandidate;
    if (include !== undefined && !include(record)) continue;
    if (firstIndex === -1) firstIndex = index;
    if (Math.max(record.lastSampleAt, record.explorationAt) + staleAfterMs <= now) {
      record.explorationAt = now;
      return index;
    }
    const latency = record.latencyMs;
    if (latency > 0 && latency < bestLatency) {
      bestLatency = latency;
      bestIndex = index;
    }
  }
  return bestIndex === -1 ? firstIndex : bestIndex;
}

/** Sort order of the latency rule: measured providers by latency EMA, unmeasured ones after them. */
export function byLatency<Candidate extends RoutingCandidate>(left: Candidate, right: Candidate): number {
  return rankKey(left) - rankKey(right) || left.order - right.order;
}

function rankKey(record: RoutingCandidate): number {
  return record.latencyMs > 0 ? record.latencyMs : Number.POSITIVE_INFINITY;
}

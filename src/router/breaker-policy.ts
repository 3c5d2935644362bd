import type { CircuitBreakerConfig } from './types.ts';

/** The counters a breaker policy reads to decide whether a closed circuit opens. */
export interface FailureSignal {
  failureRate: number;
  consecutiveFailures: number;
}

/**
 * When a closed circuit opens: the failure-rate score strictly above the threshold, or the
 * consecutive-failure limit reached. A pure function of the counters, kept apart from the state
 * machine so it can be read and tested on its own.
 *
 * @example
 * ```ts
 * shouldOpen({ failureRate: 0.2, consecutiveFailures: 5 }, DEFAULT_CIRCUIT_BREAKER_CONFIG); // true
 * ```
 */
export function shouldOpen(signal: FailureSignal, config: CircuitBreakerConfig): boolean {
  return (
    signal.failureRate > config.failureRateThreshold || signal.consecutiveFailures >= config.consecutiveFailureLimit
  );
}

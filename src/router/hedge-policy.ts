import { ConfigurationError } from './errors.ts';
import { FirstTokenQuantile } from './first-token-quantile.ts';
import type { HedgeOptions } from './types.ts';

/** Extra attempts a hedge may start at most (`router.hedge.max`). */
export const MAX_HEDGES = 3;

/**
 * When a routed call's first attempt gets a hedge: after a fixed delay, or after the recent p95 of
 * times to first token (streams) or whole answers (non-streamed), each learnt separately.
 */
export class HedgePolicy {
  /** Extra attempts at most. */
  readonly max: number;
  readonly #fixedDelayMs: number | undefined;
  readonly #streamed: FirstTokenQuantile | undefined;
  readonly #whole: FirstTokenQuantile | undefined;

  /** @throws ConfigurationError for a delay that is not a positive number or `"p95"`, or a bad `max`. */
  constructor(options: HedgeOptions) {
    const { afterMs } = options;
    const max = options.max ?? 1;
    if (afterMs !== 'p95' && (typeof afterMs !== 'number' || !Number.isFinite(afterMs) || afterMs <= 0))
      throw new ConfigurationError(
        `hedge.afterMs: expected a positive number of ms or "p95", got ${JSON.stringify(afterMs)}`,
      );
    if (!Number.isInteger(max) || max < 1 || max > MAX_HEDGES)
      throw new ConfigurationError(
        `hedge.max: expected an integer from 1 to ${MAX_HEDGES}, got ${JSON.stringify(max)}`,
      );
    this.max = max;
    if (afterMs === 'p95') {
      this.#streamed = new FirstTokenQuantile(0.95);
      this.#whole = new FirstTokenQuantile(0.95);
    } else this.#fixedDelayMs = afterMs;
  }

  /** The delay before a hedge, ms; undefined while `"p95"` has seen fewer than 20 answers (no hedging yet). */
  delayMs(streaming: boolean): number | undefined {
    if (this.#fixedDelayMs !== undefined) return this.#fixedDelayMs;
    return (streaming ? this.#streamed : this.#whole)?.value;
  }

  /** One successful attempt's time to first token (streams) or to the whole answer, ms. */
  observe(streaming: boolean, milliseconds: number): void {
    (streaming ? this.#streamed : this.#whole)?.observe(milliseconds);
  }
}

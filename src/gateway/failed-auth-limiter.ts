/**
 * A limit on wrong keys per client address, checked BEFORE the key is: once an address has
 * failed authentication `perMinute` times, every request from it gets 429 with `retry-after`
 * until its budget refills, whatever key it sends, so a flood of guesses learns nothing and
 * costs one map lookup each. The budget refills continuously (a token bucket of `perMinute`
 * tokens, `perMinute` a minute).
 */

/** Options of `FailedAuthLimiter`. */
export interface FailedAuthLimitOptions {
  /** Failed authentications an address may make per minute (also the burst). */
  perMinute: number;
  /** Clock in ms. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** Most addresses tracked at once; the least recently failing are forgotten first. Default 100000. */
  maxAddresses?: number | undefined;
}

interface Budget {
  tokens: number;
  updatedAt: number;
}

/**
 * Tracks failed authentications per client address.
 *
 * @example
 * ```ts
 * const limiter = new FailedAuthLimiter({ perMinute: 30 });
 * if (limiter.retryAfterSeconds(address) > 0) answer429();
 * else if (!valid) limiter.recordFailure(address);
 * ```
 */
export class FailedAuthLimiter {
  readonly perMinute: number;
  readonly #clock: () => number;
  readonly #maxAddresses: number;
  readonly #tokensPerMs: number;
  /** In order of last failure (re-inserted on each), so the first entry is the stalest. */
  readonly #budgets = new Map<string, Budget>();

  constructor(options: FailedAuthLimitOptions) {
    if (!(options.perMinute > 0)) throw new RangeError('failedAuthLimit.perMinute must be positive');
    this.perMinute = options.perMinute;
    this.#clock = options.clock ?? Date.now;
    this.#maxAddresses = options.maxAddresses ?? 100_000;
    this.#tokensPerMs = options.perMinute / 60_000;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const budget = this.#budgets.get(address);
    if (budget === undefined) return 0;
    const tokens = this.#refill(budget, this.#clock());
    if (tokens >= this.perMinute) {
      this.#budgets.delete(address);
      return 0;
    }
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.#tokensPerMs / 1000));
  }

  /** Counts one failed authentication of `address`. */
  recordFailure(address: string): void {
    const now = this.#clock();
    const budget = this.#budgets.get(address);
    const tokens = budget === undefined ? this.perMinute : this.#refill(budget, now);
    this.#budgets.delete(address);
    if (this.#budgets.size >= this.#maxAddresses) {
      const stalest = this.#budgets.keys().next().value;
      if (stalest !== undefined) this.#budgets.delete(stalest);
    }
    this.#budgets.set(address, { tokens: Math.max(0, tokens - 1), updatedAt: now });
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.#budgets.size;
  }

  #refill(budget: Budget, now: number): number {
    budget.tokens = Math.min(this.perMinute, budget.tokens + Math.max(0, now - budget.updatedAt) * this.#tokensPerMs);
    budget.updatedAt = now;
    return budget.tokens;
  }
}

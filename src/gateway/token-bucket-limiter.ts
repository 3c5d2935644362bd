/** Options of `createTokenBucketLimiter`. */
export interface TokenBucketOptions {
  /** Tokens added per minute. */
  requestsPerMinute: number;
  /** Bucket capacity (requests allowed at once). Default 1.5 × requestsPerMinute. */
  burst?: number;
  /** Current time in ms. Default `Date.now`. */
  clock?: () => number;
  /** How often full, idle buckets are dropped, in ms. Default 60000. */
  sweepIntervalMs?: number;
}

/** The verdict for one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** The sustained limit (requests per minute). */
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next token, when refused. */
  retryAfterSeconds: number;
}

/** Per-key token buckets. */
export interface TokenBucketLimiter {
  take(key: string): RateLimitDecision;
  /** Number of buckets held (for tests of the clean-up). */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets keyed by client: each starts full (`burst` tokens) and refills at
 * `requestsPerMinute`. Buckets that have refilled completely are dropped on a lazy sweep,
 * so idle clients cost nothing and no timer runs.
 *
 * @example
 * ```ts
 * const limiter = createTokenBucketLimiter({ requestsPerMinute: 60 });
 * limiter.take('key#0').allowed; // true
 * ```
 */
export function createTokenBucketLimiter(options: TokenBucketOptions): TokenBucketLimiter {
  const limit = options.requestsPerMinute;
  const capacity = options.burst ?? Math.max(1, Math.ceil(limit * 1.5));
  const clock = options.clock ?? Date.now;
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  const tokensPerMs = limit / 60_000;
  const buckets = new Map<string, Bucket>();
  let lastSweep = clock();

  const sweep = (now: number) => {
    lastSweep = now;
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * tokensPerMs >= capacity) buckets.delete(key);
    }
  };

  return {
    take(key) {
      const now = clock();
      if (now - lastSweep >= sweepIntervalMs) sweep(now);
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { tokens: capacity, updatedAt: now };
        buckets.set(key, bucket);
      } else {
        bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.updatedAt) * tokensPerMs);
        bucket.updatedAt = now;
      }
      const allowed = bucket.tokens >= 1;
      if (allowed) bucket.tokens -= 1;
      const missing = capacity - bucket.tokens;
      return {
        allowed,
        limit,
        remaining: Math.floor(bucket.tokens),
        resetSeconds: Math.ceil(missing / tokensPerMs / 1000),
        retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / tokensPerMs / 1000)),
      };
    },
    get size() {
      return buckets.size;
    },
  };
}

import type { TokenBucketSettings, TokenDecision } from './shared-state.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
  capacity: number;
  tokensPerMs: number;
}

/**
 * Token buckets held in this process, keyed by name: each starts full and refills at
 * `requestsPerMinute`. The same arithmetic as the Redis script (`redis-scripts.ts`), so a
 * replica that falls back to local buckets limits the way the fleet did. Full, idle buckets
 * are dropped on a lazy sweep: no timer runs.
 */
export class LocalTokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;

  /** @param clock current time in ms; `sweepIntervalMs` how often full buckets are dropped. */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly sweepIntervalMs = 60_000,
  ) {
    this.lastSweep = clock();
  }

  /** Number of buckets held (for tests of the clean-up). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from bucket `key`. */
  take(key: string, settings: TokenBucketSettings): TokenDecision {
    const now = this.clock();
    const tokensPerMs = settings.requestsPerMinute / 60_000;
    if (now - this.lastSweep >= this.sweepIntervalMs) this.sweep(now);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: settings.capacity, updatedAt: now, capacity: settings.capacity, tokensPerMs };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(settings.capacity, bucket.tokens + Math.max(0, now - bucket.updatedAt) * tokensPerMs);
      bucket.updatedAt = now;
      bucket.capacity = settings.capacity;
      bucket.tokensPerMs = tokensPerMs;
    }
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return tokenDecision(allowed, bucket.tokens, settings.capacity, tokensPerMs);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * bucket.tokensPerMs >= bucket.capacity) this.buckets.delete(key);
    }
  }
}

/** The decision for a bucket left with `tokens` after one take (`allowed` or not). */
export function tokenDecision(allowed: boolean, tokens: number, capacity: number, tokensPerMs: number): TokenDecision {
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((capacity - tokens) / tokensPerMs / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / tokensPerMs / 1000)),
  };
}

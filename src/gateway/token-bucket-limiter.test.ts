import { describe, expect, it } from 'vitest';
import { createTokenBucketLimiter } from './token-bucket-limiter.ts';

describe('token bucket limiter', () => {
  it('allows the burst, refills at the rate, and drops idle full buckets', () => {
    let now = 0;
    const limiter = createTokenBucketLimiter({
      requestsPerMinute: 60,
      burst: 3,
      clock: () => now,
      sweepIntervalMs: 10_000,
    });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    const refused = limiter.take('a');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 60, retryAfterSeconds: 1 });
    now += 1_000;
    expect(limiter.take('a').allowed).toBe(true);
    limiter.take('b');
    expect(limiter.size).toBe(2);
    now += 60_000;
    limiter.take('c');
    expect(limiter.size).toBe(1);
  });

  it('defaults the burst to 1.5 × the rate', () => {
    const limiter = createTokenBucketLimiter({ requestsPerMinute: 4, clock: () => 0 });
    const results = Array.from({ length: 7 }, () => limiter.take('k').allowed);
    expect(results).toEqual([true, true, true, true, true, true, false]);
  });
});

import { describe, expect, it } from 'vitest';
import { FirstTokenQuantile } from './first-token-quantile.ts';

describe('FirstTokenQuantile', () => {
  it('has no value before 20 samples, then the p95 of the recent ones', () => {
    const quantile = new FirstTokenQuantile(0.95);
    for (let sample = 1; sample <= 19; sample += 1) quantile.observe(sample);
    expect(quantile.value).toBeUndefined();
    quantile.observe(20);
    expect(quantile.value).toBe(19);
    for (let index = 0; index < 512; index += 1) quantile.observe(1_000 + (index % 100));
    expect(quantile.value).toBeGreaterThanOrEqual(1_090);
    expect(quantile.value).toBeLessThanOrEqual(1_099);
  });
});

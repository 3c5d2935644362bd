import { describe, expect, it } from 'vitest';
import { ProviderHealth } from './provider-health.ts';

describe('ProviderHealth', () => {
  it('keeps the latency EMA in floats: 100 then 200 gives 112.5', () => {
    const health = new ProviderHealth();
    health.recordLatency(100, 1);
    health.recordLatency(200, 2);
    expect(health.latencyMs).toBe(112.5);
  });

  it('follows 100, 200, 200, 200 → 112.5, 123.4375, 133.0078125', () => {
    const health = new ProviderHealth();
    const seen: number[] = [];
    for (const sample of [100, 200, 200, 200]) {
      health.recordLatency(sample, 0);
      seen.push(health.latencyMs);
    }
    expect(seen).toEqual([100, 112.5, 123.4375, 133.0078125]);
  });

  it('rises by less than 8 ms per sample, which the truncating original could not', () => {
    const health = new ProviderHealth();
    health.recordLatency(100, 0);
    health.recordLatency(107, 0);
    expect(health.latencyMs).toBeCloseTo(100.875, 10);
  });

  it('ignores samples that are zero, negative or not finite', () => {
    const health = new ProviderHealth();
    for (const sample of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) health.recordLatency(sample, 0);
    expect(health.latencyMs).toBe(0);
    expect(health.lastSampleAt).toBe(Number.NEGATIVE_INFINITY);
  });

  it('gives 1 − 0.9ⁿ after n straight failures and never exceeds 1', () => {
    const health = new ProviderHealth();
    const expected = [0.1, 0.19, 0.271, 0.3439, 0.40951, 0.468559, 0.5217031];
    for (const value of expected) {
      health.recordFailure();
      expect(health.failureRate).toBeCloseTo(value, 12);
    }
    for (let index = 0; index < 100; index += 1) health.recordFailure();
    expect(health.failureRate).toBeLessThanOrEqual(1);
  });

  it('halves the rate on success and snaps below 0.01 to 0', () => {
    const health = new ProviderHealth();
    health.recordFailure();
    health.recordSuccess();
    expect(health.failureRate).toBeCloseTo(0.05, 12);
    health.recordSuccess();
    health.recordSuccess();
    expect(health.failureRate).toBeCloseTo(0.0125, 12);
    health.recordSuccess();
    expect(health.failureRate).toBe(0);
  });
});
